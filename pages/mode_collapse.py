"""Mode collapse lab: cause it, watch it, measure it, try the remedies (2D sets and digits)."""
import streamlit as st

from gan_core import drawing, modes
from gan_core.config import PRESETS, SPECS, ConfigError, from_dict
from gan_core.data import toy_sigma
from ui import draw_view, mode_view, run_view
from ui import mode_figures as mf
from ui.i18n import option_label, t
from ui.params import explain

st.title(t("mode_collapse.title"))
st.caption(t("mode_collapse.intro"))
notice = st.container()  # filled at the end: it asks the job pool, which loads the engine
with st.expander(t("mode_collapse.what_title")):
    st.markdown(t("mode_collapse.what_body"))
    st.markdown(f"**{t('mode_collapse.remedies_title')}**  \n" + t("mode_collapse.remedies_body"))

# The digits tab is made only while it is open: it runs the classifier on each finished digit
# run, work that a visit to the 2D sets does not need (it holds no setting to keep).
tab_toy, tab_digits = st.tabs([t("mode_collapse.tab_toy"), t("mode_collapse.tab_digits")],
                             key="mc_tab", on_change="rerun")

# ---- 2D sets ------------------------------------------------------------------------------
with tab_toy:
    c1, c2 = st.columns([2, 1])
    dataset = c1.segmented_control(t("mode_collapse.dataset"), list(modes.STUDIES),
                                   default="drawn" if draw_view.opens_on_drawing() else "ring8",
                                   key="mc_dataset", format_func=option_label("mode_collapse.ds_"))
    dataset = dataset or "ring8"  # a click on the active option clears it
    seed_spec = SPECS["seed"]
    seed = c2.number_input(t("mode_collapse.seed"), min_value=int(seed_spec.lo), max_value=int(seed_spec.hi),
                           value=0, step=1, key="mc_seed")
    if dataset == "drawn":
        code = draw_view.editor()
        toy_set = drawing.set_name(code)
        if code:
            st.caption(draw_view.geometry_caption(code))
        else:
            st.info(t("mode_collapse.draw_nothing"), icon=":material/draw:")
    else:
        draw_view.forget_link()
        code, toy_set = "", dataset
        sigma = toy_sigma(dataset)
        st.caption(t(f"mode_collapse.geometry_{dataset}", sigma=f"{sigma:g}",
                     radius=f"{modes.HQ_SIGMAS * sigma:g}"))

    names = [name for name, _ in modes.STUDIES[dataset]]
    chosen = st.multiselect(t("mode_collapse.presets"), names, default=names, key=f"mc_presets_{dataset}",
                            format_func=mode_view.labeller(), help=t("mode_collapse.presets_help"))
    drawn = {"drawn": code} if dataset == "drawn" else {}
    named = [] if dataset == "drawn" and not code else \
        [(n, PRESETS[n].replace(seed=int(seed), **drawn)) for n in chosen]
    controls, chart = st.container(), st.container()
    # A shipped comparison is drawn first, from the shipped file alone: on a server that has just
    # started, the chart is on screen while the engine (PyTorch) is still loading.
    finals = mode_view.shipped_finals(named) if named else None
    if finals:
        with chart:
            mode_view.compare_chart(toy_set, finals)
        mode_view.let_the_browser_fetch()
    with controls:
        if not chosen:
            st.info(t("mode_collapse.nothing_selected"))
        elif named:  # (nothing to train on an empty drawing)
            if st.button(t("mode_collapse.run_all"), type="primary", icon=":material/play_arrow:",
                         key="mc_run"):
                for _, cfg in named:
                    run_view.pool().submit(cfg)
            st.subheader(t("mode_collapse.status_header"))
            mode_view.status_table(named)

    results = mode_view.finished_results(named)
    if named and not results:
        st.info(t("mode_collapse.press_run"), icon=":material/touch_app:")
    if results:
        stats = {n: modes.toy_stats(toy_set, r.final_samples()) for n, r in results.items()}
        first = next(iter(stats.values()))
        if not finals:
            with chart:
                mode_view.compare_chart(toy_set, {n: r.final_samples() for n, r in results.items()})
        st.subheader(t("mode_collapse.findings"))
        st.markdown("\n".join(f"- {line}" for line in mode_view.findings(dataset, results)))

        st.subheader(t("mode_collapse.inspect"))
        pick = st.selectbox(t("mode_collapse.inspect"), list(results), key=f"mc_inspect_{dataset}",
                            format_func=mode_view.labeller(), label_visibility="collapsed")
        result = results[pick]
        layers = st.pills(t("mode_collapse.layers"), mf.LAYERS, selection_mode="multi",
                          default=list(mf.DEFAULT_LAYERS), key="mc_layers",
                          format_func=option_label("mode_collapse.layer_"),
                          help=t("mode_collapse.layers_help"))
        if not result.snapshots[-1].extras:
            st.info(t("mode_collapse.no_extras"))
        st.plotly_chart(mf.layered_figure(result, layers or ["fake"], mode_view.real_sample(toy_set)),
                        width="stretch", key="mc_layered")
        st.caption(t("mode_collapse.play_help"))

        series = modes.run_mode_series(toy_set, result.snapshots)
        final = stats[pick]
        st.markdown(t("mode_collapse.final_line", captured=final.captured, modes=final.n_modes,
                      hq=f"{100 * final.hq_share:.0f}", n=final.n_points))
        st.markdown(mode_view.hop_sentence(toy_set, result.snapshots))
        steps = [int(s) for s in series["step"]]
        at_step = st.select_slider(t("mode_collapse.snapshot_pick"), options=steps, value=steps[-1],
                                   key=f"mc_cov_{dataset}_{pick}") if len(steps) > 1 else steps[0]
        idx = steps.index(at_step)
        left, right = st.columns(2)
        left.plotly_chart(mf.metrics_figure(series, first.n_modes, at_step), width="stretch",
                          key="mc_metrics")
        right.plotly_chart(mf.coverage_figure(toy_set, series["counts"][idx], final.n_points),
                           width="stretch",
                           key="mc_coverage")
        if dataset != "spiral":
            st.plotly_chart(mf.occupancy_figure(series, final.n_points), width="stretch", key="mc_occupancy")

# ---- digits -------------------------------------------------------------------------------
with tab_digits:
    if tab_digits.open:
        st.markdown(t("mode_collapse.digits_intro"))
        if not mode_view.classifier_ready():
            st.warning(t("mode_collapse.classifier_missing"), icon=":material/warning:")
        else:
            caption = mode_view.classifier_caption()
            if caption:
                st.caption(caption)
            rows = []  # (name, report)

            st.subheader(t("mode_collapse.lab_run"))
            saved = st.session_state.get("lab_cfg")
            lab_cfg = None
            if saved is None:
                st.info(t("mode_collapse.lab_none"))
            else:
                try:
                    lab_cfg = from_dict(saved)
                except ConfigError as err:
                    st.error(t("mode_collapse.lab_bad", problem=explain(err)))
                except (TypeError, ValueError, AttributeError) as err:
                    st.error(t("mode_collapse.lab_bad", problem=type(err).__name__))
            if lab_cfg is not None and not lab_cfg.is_image:
                st.info(t("mode_collapse.lab_toy"))
            elif lab_cfg is not None:
                job = run_view.pool().peek(lab_cfg)
                if job is None or not job.done or job.result is None:
                    st.info(t("mode_collapse.lab_not_done"))
                else:
                    rows.append((t("mode_collapse.lab_run"), job.result))

            st.subheader(t("mode_collapse.digit_presets"))
            digit_named = [(n, PRESETS[n]) for n in modes.DIGIT_PRESETS if n in PRESETS]
            if st.button(t("mode_collapse.run_digits"), icon=":material/play_arrow:", key="mc_run_digits"):
                for _, cfg in digit_named:
                    run_view.pool().submit(cfg)
            mode_view.status_table(digit_named)
            rows += [(mode_view.label(n), r) for n, r in mode_view.finished_results(digit_named).items()]

            reports = mode_view.digit_reports(rows)
            if reports:
                st.plotly_chart(mf.class_histogram_figure([(n, rep["hist"]) for n, rep in reports]),
                                width="stretch", key="mc_hist")
                for n, rep in reports:
                    st.markdown(t("mode_collapse.digit_line", name=n, covered=rep["covered"],
                                  tv=f"{rep['tv_uniform']:.2f}", dup=f"{100 * rep['near_dup']:.1f}"))
                st.caption(t("mode_collapse.dup_help"))

with notice:
    run_view.storage_notice()
