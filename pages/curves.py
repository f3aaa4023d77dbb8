"""Reading loss curves: four real runs, each a typical story, read with their own numbers."""
from ui import curves_view

curves_view.render()
