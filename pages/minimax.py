"""The minimax loss explorer: V(D, G), the three loss curves, the optimal D, BCE = -V, figure 1."""
import streamlit as st

from ui import autoplay, params
from ui import concept_figures as cf
from ui import minimax_view as view
from ui.i18n import option_label, t

st.title(t("minimax.title"))
st.markdown(t("minimax.intro"))
view.settings()
params.show_messages("minimax_url_messages")

from gan_core import theory  # (imports torch: after the page's first text)

value_tab, curves_tab, opt_tab, bce_tab, fig1_tab = st.tabs(
    [t(f"minimax.tab_{name}") for name in ("value", "curves", "opt", "bce", "fig1")])

with value_tab:
    st.latex(r"\min_G \max_D V(D,G) = "
             r"\underbrace{\mathbb{E}_{x\sim p_{\mathrm{data}}}\big[\log D(x)\big]}"
             r"_{D\ \uparrow\ \text{(max)}}"
             r" + \underbrace{\mathbb{E}_{z\sim p_z}\big[\log\big(1-D(G(z))\big)\big]}"
             r"_{D\ \uparrow\ \text{(max)},\ \ G\ \downarrow\ \text{(min)}}")
    st.markdown(t("minimax.value_explain"))
    st.markdown(t("minimax.view_table"))

with curves_tab:
    st.slider(t("minimax.marker"), *view.D_RANGE, step=0.001, format="%.3f", key="minimax_d",
              on_change=view.marker_changed, help=t("minimax.marker_help"))
    b1, b2, b3 = st.columns(3)
    b1.button(t("minimax.early"), on_click=view.set_marker, args=(0.02,), width="stretch")
    b2.button(t("minimax.middle"), on_click=view.set_marker, args=(0.5,), width="stretch")
    b3.button(t("minimax.late"), on_click=view.set_marker, args=(0.9,), width="stretch")
    r = theory.read_marker(st.session_state["minimax_d"])
    c = st.columns(3)
    for col, name in zip(c, theory.CURVES, strict=True):
        col.metric(t(f"minimax.curve_{name}"), f"{r.values[name]:.3f}",
                   help=t("minimax.slope_help"))
        col.caption(t("minimax.slope_at", slope=f"{r.slopes[name]:.3f}",
                      lslope=f"{r.logit_slopes[name]:.3f}"))
    left, right = st.columns(2)
    left.plotly_chart(cf.curves_figure(r.d), width="stretch", key="minimax_curves")
    right.plotly_chart(cf.logit_signal_figure(r.d), width="stretch", key="minimax_signal")
    st.info(t("minimax.signal_reading", d=f"{r.d:.3f}", sat=f"{abs(r.logit_slopes['log_1md']):.3f}",
              ns=f"{abs(r.logit_slopes['neg_log_d']):.3f}", ratio=f"{r.ratio:.1f}"))
    st.markdown(t("minimax.why_saturate"))

with opt_tab:
    st.markdown(t("minimax.opt_intro"))
    cols = st.columns(2)
    for col, who in zip(cols, ("pd", "pg"), strict=True):
        with col:
            st.markdown(f"**{t(f'minimax.who_{who}')}**")
            st.radio(t("minimax.kind"), view.DENSITY_KINDS, key=f"minimax_{who}_kind", horizontal=True,
                     format_func=option_label("minimax.kind_"))
            a, b = st.columns(2)
            a.number_input(t("minimax.mean1"), -5.0, 5.0, step=0.1, key=f"minimax_{who}_m1")
            b.number_input(t("minimax.std1"), 0.1, 3.0, step=0.1, key=f"minimax_{who}_s1")
            if st.session_state[f"minimax_{who}_kind"] == "mixture":
                a.number_input(t("minimax.mean2"), -5.0, 5.0, step=0.1, key=f"minimax_{who}_m2")
                b.number_input(t("minimax.std2"), 0.1, 3.0, step=0.1, key=f"minimax_{who}_s2")
                st.slider(t("minimax.weight"), 0.0, 1.0, step=0.05, key=f"minimax_{who}_w")
    st.button(t("minimax.copy"), on_click=view.copy_pdata_to_pg, icon=":material/content_copy:")
    p_data, err1 = view.density_from_state("pd")
    p_g, err2 = view.density_from_state("pg")
    if err1 or err2:
        st.error(err1 or err2)
    else:
        rep = theory.optimum(p_data, p_g)
        st.plotly_chart(cf.optimum_figure(rep), width="stretch", key="minimax_opt")
        m = st.columns(4)
        m[0].metric("V(D*, G)", f"{rep.v_star:.6f}")
        m[1].metric("JSD(p_data ‖ p_g)", f"{rep.jsd:.6f}")
        m[2].metric("−log 4 + 2·JSD", f"{rep.rhs:.6f}")
        m[3].metric(t("minimax.gap"), f"{abs(rep.gap):.1e}")
        st.latex(r"V(D^*,G) = -\log 4 + 2\,\mathrm{JSD}(p_{\mathrm{data}}\,\|\,p_g)"
                 r" \geq -\log 4 \approx -1.386294")
        if rep.jsd < 1e-9:
            st.success(t("minimax.equal", v=f"{rep.v_star:.6f}"))
        else:
            st.caption(t("minimax.opt_reading", above=f"{rep.v_star + theory.LOG4:.6f}"))

with bce_tab:
    st.markdown(t("minimax.bce_intro"))
    st.number_input(t("minimax.bce_seed"), 0, 10_000, step=1, key="minimax_bce_seed")
    st.dataframe(view.bce_rows(), hide_index=True, width="stretch")
    st.caption(t("minimax.bce_note"))

with fig1_tab:
    st.markdown(t("minimax.fig1_intro"))
    b = st.columns(3)
    b[0].button(t("minimax.fig1_step", n=view.FIG1_CHUNK), on_click=view.fig1_advance,
                icon=":material/skip_next:", width="stretch")
    autoplay.toggle(view.FIG1_PLAYING, t("minimax.fig1_live"), t("minimax.fig1_stop"),
                    ":material/play_arrow:", where=b[1])
    b[2].button(t("minimax.fig1_reset"), on_click=view.fig1_reset, icon=":material/restart_alt:",
                width="stretch")
    view.fig1_board()
