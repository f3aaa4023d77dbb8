"""Image uploads for any page: st.file_uploader -> gan_core.images.decode_image -> messages.

Bytes stay in memory. A bad file shows one translated st.error (the page keeps working and
the next upload is read afresh); notices (first frame of an animation, EXIF rotation,
conversion to RGB) show as st.info. Strings: ui/locales/*/uploads.json.

    img = uploads.image_uploader(t("mypage.upload"), key="mypage_upload")
    if img is not None:
        st.image(img.pixels)
"""
from __future__ import annotations

import streamlit as st

from gan_core.images import ERROR_CODES, NOTICE_CODES, DecodedImage, ImageError, decode_image
from ui.i18n import t

# The file picker accepts any file: the content decides, so a phone's HEIC photo or a PNG
# named .jpg gets our own translated sentence instead of Streamlit's English-only refusal
# (and a request that bypasses the browser's filter cannot trip Streamlit's extension check).
UPLOAD_TYPES = None


def error_message(err: ImageError) -> str:
    """The translated sentence for an ImageError (falls back to its English sentence)."""
    if err.code in ERROR_CODES:
        return t(f"uploads.err_{err.code}", **err.params)
    return err.sentence()


def notice_message(code: str) -> str:
    return t(f"uploads.notice_{code}") if code in NOTICE_CODES else code


@st.cache_data(max_entries=16, show_spinner=False)
def _decode(data: bytes, animated: str, reduce_to: int | None) -> DecodedImage:
    return decode_image(data, animated=animated, reduce_to=reduce_to)


def read_image(data: bytes, *, animated: str = "first_frame", reduce_to: int | None = None,
               show_notices: bool = True) -> DecodedImage | None:
    """Decode bytes (cached on their content); None after showing a translated error."""
    try:
        img = _decode(data, animated, reduce_to)
    except ImageError as err:
        st.error(error_message(err), icon=":material/broken_image:")
        return None
    except Exception:  # never let a decoder bug reach the page as a traceback
        st.error(t("uploads.err_corrupt"), icon=":material/broken_image:")
        return None
    if show_notices:
        for code in img.notices:
            st.info(notice_message(code), icon=":material/info:")
    return img


def image_uploader(label: str, key: str, *, help: str | None = None, animated: str = "first_frame",
                   reduce_to: int | None = None) -> DecodedImage | None:
    """A file uploader for photos; returns the decoded image, or None (nothing / bad file)."""
    file = st.file_uploader(label, type=UPLOAD_TYPES, key=key, help=help or t("uploads.help"))
    if file is None:
        return None
    return read_image(file.getvalue(), animated=animated, reduce_to=reduce_to)
