r"""Text stays text: escaping what people typed before a renderer can read it as markup.

Streamlit draws every ``st.markdown``, ``st.write``, ``st.caption``, heading,
alert (``st.info``, ``st.warning`` ...) and widget or expander label as
GitHub-flavoured Markdown plus its own extensions (``:material/icon:``,
``:red[...]`` colours, ``$...$`` maths). Typed into a session, ``![x](http://host/)``
becomes an image the facilitator's browser fetches, ``[x](http://host/)`` a
link, and a bare ``www.host.example``, ``https://host.example/`` or
``someone@host.example`` an autolink (GFM's *autolink literal*).

:func:`md_escape` backslash-escapes every ASCII punctuation character that
Markdown or Streamlit give a meaning (:data:`MARKDOWN_ACTIVE`; CommonMark
allows a backslash before any punctuation and renders it as the character
itself). With
``.``, ``:`` and ``@`` escaped no autolink literal can match (each needs the
plain characters ``www.``, ``://`` or ``@host.tld``), with ``!``, ``[``, ``]``,
``(`` and ``)`` escaped no image or link can, and with ``:``, ``[`` and ``$``
escaped no Streamlit extension can. HTML is never run by Streamlit's Markdown,
and ``<``/``&`` are escaped too, so an entity such as ``&lt;`` shows as typed.

Examples
--------
>>> print(md_escape("![x](http://10.0.0.1/a.png) www.example.org"))
\!\[x\]\(http\://10\.0\.0\.1/a\.png\) www\.example\.org
>>> md_escape("Oakham Library")
'Oakham Library'
>>> md_escape(None)
''
"""

from __future__ import annotations

from typing import Final

__all__ = ["MARKDOWN_ACTIVE", "md_escape"]

#: Characters that start or end Markdown, GFM or Streamlit syntax. Left alone:
#: ``, ; ? / ' " %`` and ``^``, which mean nothing outside a construct that
#: needs one of these.
MARKDOWN_ACTIVE: Final = frozenset("\\`*_{}[]()<>#+-.!|~$:@&=")


def md_escape(text: object) -> str:
    """Return ``text`` escaped so Markdown shows it exactly as typed (``None`` -> ``""``).

    Every character of :data:`MARKDOWN_ACTIVE` gets a backslash: no emphasis, heading,
    list, link, image, autolink, HTML, emoji shortcode, colour or maths can
    come out of it. Line breaks are kept.

    Parameters
    ----------
    text
        Any value; shown as ``str(text)``.

    Returns
    -------
    str
        Markdown source that renders as the original text.
    """
    if text is None:
        return ""
    return "".join("\\" + c if c in MARKDOWN_ACTIVE else c for c in str(text))
