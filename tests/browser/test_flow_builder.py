"""The flow builder in chromium, in the tenant's pt-BR: an admin creates a flow, builds a
two-level menu with the keyboard in the list view, saves too early and sees each problem on its
step and field, connects the missing answer by dragging a line on the canvas, saves a new
version and walks the menu in the test panel down to a queue; the page is looked at at 1366 px
and on a 390 px phone (no sideways scroll). The flow is deleted at the end (with its
confirmation), so the shared tenant is left as it was."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.conftest import DESKTOP_SIZE, PHONE_SIZE, no_sideways_scroll, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _press(locator: Locator) -> None:
    """Activate a button the keyboard's way."""
    locator.focus()
    locator.press("Enter")


def _step(form: Locator, name: str, message: str, options: list[tuple[str, str, str, str]]):
    """Fill the selected step: its name, one message and its answers (label, accepted
    answer, what then, which one)."""
    form.get_by_label("Nome da etapa").fill(name)
    _press(form.get_by_role("button", name="Adicionar mensagem"))
    form.get_by_label("Mensagem", exact=True).fill(message)
    for index, (label, answer, then, which) in enumerate(options):
        _press(form.get_by_role("button", name="Adicionar resposta"))
        form.get_by_label("Opção exibida").nth(index).fill(label)
        form.get_by_label("Respostas aceitas, separadas por vírgulas").nth(index).fill(answer)
        if then:
            form.get_by_label("Então", exact=True).nth(index).select_option(label=then)
        if which:
            form.get_by_label("Qual", exact=True).last.select_option(label=which)


def _center(locator: Locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_an_admin_builds_a_two_level_menu_saves_it_and_tries_it(
    live_app, open_page, browser_errors
):
    page = open_page("admin")
    page.set_viewport_size(DESKTOP_SIZE)
    sign_in(page, live_app, "admin", next_path="/manage/flows/")
    page.get_by_test_id("flow-create").get_by_label("Nome", exact=True).fill("Menu da loja")
    page.get_by_role("button", name="Criar fluxo").click()
    expect(page.get_by_role("heading", name="Menu da loja")).to_be_visible()

    builder = page.locator("#flow-builder")
    form = page.get_by_test_id("flow-node-form")
    nodes = page.get_by_test_id("flow-node-list")
    _press(builder.get_by_role("button", name="Lista", exact=True))
    _press(nodes.get_by_role("button").first)
    _step(
        form,
        "Menu",
        "Olá {{name}}! 1 Vendas 2 Suporte",
        [("Vendas", "vendas", "transferir para a fila", "Vendas"), ("Suporte", "suporte", "", "")],
    )
    _press(builder.get_by_role("button", name="Adicionar etapa"))
    _step(
        form,
        "Suporte",
        "1 Internet 2 Atendente",
        [
            ("Internet", "internet", "transferir para a fila", "Suporte"),
            ("Atendente", "atendente", "deixar aguardando um atendente", ""),
        ],
    )

    # Saved too early: "Suporte" of the menu leads nowhere, so the Suporte step is unreachable.
    browser_errors.allow_status(400, "/save/")
    _press(builder.get_by_role("button", name="Salvar como nova versão"))
    expect(page.get_by_test_id("flow-problems")).to_contain_text("Não salvo")
    expect(form.get_by_test_id("flow-field-error").first).to_be_visible()
    expect(builder.locator(".fb-list-item.has-error")).to_have_count(2)
    _press(nodes.get_by_role("button", name="Menu"))
    option_error = form.locator('[data-field="options[1].action"] .field-error')
    expect(option_error).to_be_visible()
    shot(page, "flow-builder-refused-desktop")

    # On the canvas, a line drawn from the menu's second answer to the Suporte step.
    builder.get_by_role("button", name="Tela", exact=True).click()
    canvas = page.get_by_test_id("flow-canvas")
    expect(canvas).to_be_visible()
    start = _center(canvas.locator('.fb-node[data-node="node-1"] [data-port="1"]'))
    end = _center(canvas.locator('.fb-node[data-node="node-2"]'))
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(end[0], end[1], steps=12)
    page.mouse.up()
    expect(canvas.locator(".fb-line")).to_have_count(1)
    expect(form.get_by_label("Então", exact=True).nth(1)).to_have_value("node")

    # A card dragged elsewhere keeps its line.
    card = canvas.locator('.fb-node[data-node="node-2"] .fb-node-head')
    x, y = _center(card)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 20, y + 160, steps=8)
    page.mouse.up()
    expect(canvas.locator(".fb-line")).to_have_count(1)
    # And with the keyboard: arrows move the focused card.
    menu_card = canvas.locator('.fb-node[data-node="node-1"]')
    menu_card.focus()
    menu_card.press("ArrowDown")
    menu_card.press("ArrowRight")
    expect(menu_card).to_have_css("top", "60px")
    expect(menu_card).to_have_css("left", "60px")

    page.locator("#fb-note").fill("menu de dois níveis")
    builder.get_by_role("button", name="Salvar como nova versão").click()
    expect(page.get_by_test_id("flow-versions")).to_contain_text("menu de dois níveis")
    expect(page.get_by_test_id("flow-versions").locator("tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("flow-canvas").locator(".fb-line")).to_have_count(1)
    no_sideways_scroll(page)

    # The test panel: the menu, the second level, then the queue.
    panel = page.get_by_test_id("flow-test-run")
    log = page.get_by_test_id("flow-test-log")
    panel.get_by_label("Mensagem do cliente").fill("2")
    panel.get_by_label("Mensagem do cliente").press("Enter")
    expect(log).to_contain_text("1 Vendas 2 Suporte")
    expect(log).to_contain_text("1 Internet 2 Atendente")
    expect(log.locator(".fb-try-node").last).to_contain_text("Suporte")
    panel.get_by_label("Mensagem do cliente").fill("Internet!")
    panel.get_by_label("Mensagem do cliente").press("Enter")
    expect(log.locator(".fb-try-handoff")).to_contain_text("transferir para a fila: Suporte")
    shot(page, "flow-builder-desktop")

    page.set_viewport_size(PHONE_SIZE)
    page.reload()
    expect(page.get_by_test_id("flow-canvas").locator(".fb-node")).to_have_count(2)
    no_sideways_scroll(page)
    shot(page, "flow-builder-phone")

    page.goto(f"{live_app.url}/manage/flows/")
    no_sideways_scroll(page)
    shot(page, "flow-list-phone")
    page.once("dialog", lambda dialog: dialog.accept())
    row = page.get_by_test_id("flow-row").filter(has_text="Menu da loja")
    row.get_by_role("button", name="Excluir").click()
    expect(page.get_by_test_id("flow-row").filter(has_text="Menu da loja")).to_have_count(0)
