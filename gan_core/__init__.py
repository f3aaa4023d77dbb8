"""GAN Classroom engine: data, models, losses, training, run cache, metrics, CycleGAN.

Importing the package itself is cheap (no torch): submodules that need torch import it.
Nothing here imports streamlit.
"""
ENGINE_VERSION = "3"  # bump when a change alters the numbers a config produces
