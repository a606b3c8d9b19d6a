"""Dashboard pages: each file is one `st.Page`, run by `dashboard/app.py` through `st.navigation`.

Not named `pages/`: a folder of that name beside the entry script makes Streamlit (1.67) run a page
file directly, without the entry script, on the first request of a fresh server that is not for "/".
"""
