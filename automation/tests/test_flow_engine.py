"""The engine's decisions (pure): how answers match options, "any answer" and media-only
replies, retries and their limit, close keywords."""

from automation.flows.engine import RunState, flow_answer, flow_start, option_match
from automation.flows.graph import answer_normalise
from automation.tests.support import menu_graph, node, option

GRAPH = menu_graph(sales_queue=1, support_queue=2)


def test_answers_are_compared_trimmed_without_case_accents_or_edge_punctuation():
    assert answer_normalise("  Suporte   TÉCNICO!! ") == "suporte tecnico"
    assert answer_normalise("Não.") == "nao"


def test_the_number_shown_next_to_an_option_matches_it_as_well_as_its_text():
    menu = GRAPH["nodes"][0]
    assert option_match(menu, "3")[0] == 2
    assert option_match(menu, "3.")[0] == 2
    assert option_match(menu, "ATENDENTE")[0] == 2
    assert option_match(menu, "4") is None
    assert option_match(menu, "0") is None


def test_an_answer_listed_on_an_option_wins_over_an_option_number():
    step = node(
        "n",
        "N",
        "x",
        options=[
            option("Um", ["1 giga"], {"type": "waiting"}),
            option("Dois", ["1"], {"type": "close"}),
        ],
    )
    assert option_match(step, "1")[0] == 1


def test_any_answer_takes_everything_a_media_only_reply_included():
    step = node(
        "n",
        "N",
        "x",
        options=[
            option("Sim", ["sim"], {"type": "waiting"}),
            option("Outro", [], {"type": "close"}, any_answer=True),
        ],
    )
    assert option_match(step, "sim")[0] == 0
    assert option_match(step, "1")[0] == 0
    assert option_match(step, "qualquer coisa")[0] == 1
    assert option_match(step, "")[0] == 1


def test_starting_sends_the_start_node():
    outcome = flow_start(GRAPH)
    assert outcome.state == RunState("menu")
    assert [s["text"] for s in outcome.sends] == [GRAPH["nodes"][0]["interactions"][0]["text"]]


def test_the_retry_limit_fires_on_the_nth_invalid_answer():
    state = RunState("menu")
    first = flow_answer(GRAPH, state, "x")
    second = flow_answer(GRAPH, first.state, "y")
    third = flow_answer(GRAPH, second.state, "z")

    assert (first.state.retries, second.state.retries) == (1, 2)
    assert third.state is None
    assert third.handoff == {"type": "queue", "queue": 2}
    assert third.end_reason == "retry_limit"


def test_without_a_retry_limit_the_bot_keeps_asking():
    graph = menu_graph(sales_queue=1, support_queue=2, retry_limit=None)
    state = RunState("menu")
    for _ in range(10):
        state = flow_answer(graph, state, "??").state
    assert state == RunState("menu", 10)


def test_a_close_keyword_closes_from_any_node():
    outcome = flow_answer(GRAPH, RunState("sup", 2), " SAIR ")
    assert (outcome.handoff, outcome.state, outcome.end_reason) == (
        {"type": "close"},
        None,
        "closed",
    )
