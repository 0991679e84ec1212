"""The chatbot's whole loop in chromium, in the tenant's pt-BR: the admin makes Vendas hand its
tickets out by round-robin, builds a two-level menu on the canvas with the mouse only (the
second step dragged to its place, the menu's first answer connected to it by drawing a line),
saves it and gives it to the web chat widget; Bruno, the one agent of Vendas, is online in his
inbox; a customer on the shop's site walks the menu in the widget (by number, then by text) and
the bot transfers the ticket to Vendas, where it is handed to Bruno automatically, live. Looked
at at 1366 px and on a 390 px phone. The flow is deleted and Vendas set back at the end, so the
shared tenant is left as it was for the tests that follow.

The import page is walked too: a flow of the original system pasted, its confirmation screen
used with the keyboard on a phone (a queue pre-selected by name, a user set to "none"), the flow
created paused and exported back."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import (
    DESKTOP_SIZE,
    PHONE_SIZE,
    SALES,
    WIDGET_TITLE,
    LiveApp,
    no_sideways_scroll,
    shot,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

FLOW = "Bot do site"
MENU = "Olá {{name}}! 1 Comprar 2 Falar com alguém"
SECOND = "O que procura? 1 Notebook 2 Celular"


def _center(locator: Locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(end[0], end[1], steps=12)
    page.mouse.up()


def _into_view(canvas: Locator) -> None:
    """Scroll the canvas to the middle of the window: filling the side form scrolls the page,
    and the mouse acts only on what is in the window."""
    canvas.evaluate("element => element.scrollIntoView({block: 'center'})")


def _answer(form: Locator, index: int, label: str, answers: str) -> None:
    form.get_by_role("button", name="Adicionar resposta").click()
    form.get_by_label("Opção exibida").nth(index).fill(label)
    form.get_by_label("Respostas aceitas, separadas por vírgulas").nth(index).fill(answers)


def _sales_distribution(page: Page, app: LiveApp, label: str) -> None:
    page.goto(f"{app.url}/manage/queues/")
    page.get_by_test_id("queue-list").get_by_role("link", name=SALES, exact=True).click()
    page.get_by_label("Distribuição automática").select_option(label=label)
    page.get_by_role("button", name="Salvar", exact=True).click()
    row = page.get_by_test_id("queue-row").filter(has_text=SALES)
    expect(row).to_contain_text(label)


def _delete_flow(page: Page, app: LiveApp, name: str) -> None:
    """Delete the flow (confirming), when it exists."""
    page.goto(f"{app.url}/manage/flows/")
    row = page.get_by_test_id("flow-row").filter(has_text=name)
    if not row.count():
        return
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Excluir").click()
    expect(page.get_by_test_id("flow-row").filter(has_text=name)).to_have_count(0)


def _build_on_the_canvas(page: Page) -> None:
    builder = page.locator("#flow-builder")
    canvas = page.get_by_test_id("flow-canvas")
    form = page.get_by_test_id("flow-node-form")
    expect(builder.get_by_role("button", name="Tela", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )

    # The first step, chosen with a click on its card.
    canvas.locator('.fb-node[data-node="node-1"]').click()
    form.get_by_label("Nome da etapa").fill("Menu")
    form.get_by_role("button", name="Adicionar mensagem").click()
    form.get_by_label("Mensagem", exact=True).fill(MENU)
    _answer(form, 0, "Comprar", "comprar")
    _answer(form, 1, "Falar com alguém", "atendente, falar com alguem")
    form.get_by_label("Então", exact=True).nth(1).select_option(
        label="deixar aguardando um atendente"
    )

    # The second step, dragged by its head below the first.
    builder.get_by_role("button", name="Adicionar etapa").click()
    second = canvas.locator('.fb-node[data-node="node-2"]')
    expect(second).to_be_visible()
    _into_view(canvas)
    before = second.bounding_box()
    head = _center(second.locator(".fb-node-head"))
    _drag(page, head, (head[0] - 200, head[1] + 220))
    after = second.bounding_box()
    assert before is not None
    assert after is not None
    assert after["y"] - before["y"] > 150, (before, after)
    second.click()
    form.get_by_label("Nome da etapa").fill("Compras")
    form.get_by_role("button", name="Adicionar mensagem").click()
    form.get_by_label("Mensagem", exact=True).fill(SECOND)
    for index, (label, answers) in enumerate((("Notebook", "notebook"), ("Celular", "celular"))):
        _answer(form, index, label, answers)
        form.get_by_label("Então", exact=True).nth(index).select_option(
            label="transferir para a fila"
        )
        form.get_by_label("Qual", exact=True).nth(index).select_option(label=SALES)

    # The menu's first answer connected to the second step: a line drawn with the mouse.
    port = canvas.locator('.fb-node[data-node="node-1"] [data-port="0"]')
    _into_view(canvas)
    _drag(page, _center(port), _center(second))
    expect(canvas.locator(".fb-line")).to_have_count(1)
    expect(form.get_by_label("Então", exact=True).first).to_have_value("node")

    builder.get_by_role("button", name="Salvar como nova versão").click()
    expect(page.get_by_test_id("flow-save-status")).to_contain_text("Salvo")
    expect(page.get_by_test_id("flow-versions").locator("tbody tr")).to_have_count(2)


def test_a_menu_built_on_the_canvas_takes_a_web_chat_customer_to_an_online_agent(
    live_app, open_page
):
    customer_name = f"Carla {uuid.uuid4().hex[:6]}"
    admin = open_page("admin")
    admin.set_viewport_size(DESKTOP_SIZE)
    sign_in(admin, live_app, "admin", next_path="/manage/queues/")
    _sales_distribution(admin, live_app, "Rodízio")
    try:
        admin.goto(f"{live_app.url}/manage/flows/")
        admin.get_by_test_id("flow-create").get_by_label("Nome", exact=True).fill(FLOW)
        admin.get_by_role("button", name="Criar fluxo").click()
        expect(admin.get_by_role("heading", name=FLOW)).to_be_visible()
        _build_on_the_canvas(admin)
        no_sideways_scroll(admin)
        shot(admin, "bot-loop-1-builder-desktop")
        admin.set_viewport_size(PHONE_SIZE)
        admin.reload()
        expect(admin.get_by_test_id("flow-canvas").locator(".fb-line")).to_have_count(1)
        no_sideways_scroll(admin)
        shot(admin, "bot-loop-1-builder-phone")
        admin.set_viewport_size(DESKTOP_SIZE)

        # The widget's connection gets the flow.
        settings = admin.get_by_test_id("flow-settings")
        settings.get_by_label("Site da loja").check()
        expect(settings.get_by_label("Ativa", exact=True)).to_be_checked()
        settings.get_by_role("button", name="Salvar configurações").click()
        expect(admin.locator(".flash")).to_contain_text("Configurações do fluxo salvas.")

        # Bruno, the one agent of Vendas, is online: his inbox is open.
        bruno = open_page("bruno")
        bruno.set_viewport_size(DESKTOP_SIZE)
        sign_in(bruno, live_app, "bruno")
        pending = bruno.get_by_test_id("inbox-tab-pending")
        pending.click()
        expect(pending).to_have_attribute("aria-current", "page")
        bruno.evaluate("window.__ttSameDocument = true")

        # The customer walks the menu in the widget: by number, then by text.
        customer = open_page("customer")
        customer.goto(f"{live_app.site_url}/")
        customer.get_by_test_id("tt-webchat-launcher").click()
        chat = customer.frame_locator("[data-testid=tt-webchat-frame]")
        chat.get_by_test_id("tt-webchat-name").fill(customer_name)
        chat.get_by_test_id("tt-webchat-start").click()
        said = chat.get_by_test_id("tt-webchat-message")
        text = chat.get_by_test_id("tt-webchat-text")
        text.fill("Oi, boa tarde")
        chat.get_by_test_id("tt-webchat-send").click()
        menu = said.filter(has_text=f"Olá {customer_name}! 1 Comprar")
        expect(menu).to_be_visible()
        expect(menu).not_to_have_attribute("data-from", "visitor")
        text.fill("1")
        chat.get_by_test_id("tt-webchat-send").click()
        expect(said.filter(has_text=SECOND)).to_be_visible()
        text.fill("Celular!")
        chat.get_by_test_id("tt-webchat-send").click()
        shot(customer, "bot-loop-2-customer-walks-the-menu")

        # The ticket lands in Vendas and is Bruno's, live, without a reload of his inbox.
        row = bruno.get_by_test_id("inbox-row").filter(has_text=customer_name)
        expect(row).to_be_visible(timeout=20_000)
        assert bruno.evaluate("window.__ttSameDocument === true"), "the inbox was reloaded"
        row.locator(".ticket-link").click()
        panel = bruno.get_by_test_id("ticket-panel")
        expect(bruno.get_by_test_id("ticket-queue")).to_have_text(SALES, timeout=20_000)
        expect(bruno.get_by_test_id("ticket-assignee")).to_have_text("Bruno Vendas")
        expect(panel).to_contain_text("Celular!")
        no_sideways_scroll(bruno)
        shot(bruno, "bot-loop-3-agent-gets-it-desktop")
        bruno.set_viewport_size(PHONE_SIZE)
        no_sideways_scroll(bruno)
        shot(bruno, "bot-loop-3-agent-gets-it-phone")
        expect(customer.get_by_test_id("tt-webchat-launcher")).to_have_attribute(
            "aria-label", WIDGET_TITLE
        )
    finally:
        admin.set_viewport_size(DESKTOP_SIZE)
        _delete_flow(admin, live_app, FLOW)
        _sales_distribution(admin, live_app, "Nenhuma: os atendentes escolhem os tickets")


ORIGINAL = json.loads(
    (
        Path(__file__).parents[2] / "automation" / "tests" / "fixtures" / "provider_menu.json"
    ).read_text()
)


def test_an_original_flow_is_imported_through_its_confirmation_screen_on_a_phone(
    live_app, open_page
):
    named = dict(
        ORIGINAL,
        queues=[{"id": 1, "name": SALES}, {"id": 2, "name": "Cobrança de outra instalação"}],
    )
    page = open_page("admin")
    page.set_viewport_size(PHONE_SIZE)
    sign_in(page, live_app, "admin", next_path="/manage/flows/")
    page.get_by_test_id("flow-import-link").click()
    expect(page.get_by_role("heading", name="Importar um fluxo")).to_be_visible()
    page.get_by_label("Nome do novo fluxo").fill("Provedor importado")
    page.get_by_label("Ou cole o JSON").fill(json.dumps(named))
    no_sideways_scroll(page)
    shot(page, "flow-import-phone")
    page.get_by_role("button", name="Ler o fluxo").click()

    confirm = page.get_by_test_id("flow-import-confirm")
    expect(page.get_by_role("heading", name="Confirmar a importação")).to_be_visible()
    queue_1 = confirm.get_by_label("Fila 1 do fluxo")
    expect(queue_1.locator("option:checked")).to_have_text(SALES)  # same name
    expect(confirm.get_by_label("Fila 2 do fluxo").locator("option:checked")).to_have_text(
        "Escolha…"
    )
    no_sideways_scroll(page)
    shot(page, "flow-import-confirm-phone")

    # With the keyboard: each select chosen by typing, then Enter on the button.
    for label, choice in (
        ("Fila 2 do fluxo", "Nenhuma: deixar o ticket aguardando na fila em que está"),
        ("Fila 3 do fluxo", "Suporte"),
        ("Usuário 5 do fluxo", "Nenhum: deixar o ticket aguardando qualquer atendente"),
        ("Usuário 7 do fluxo", "Nenhum: deixar o ticket aguardando qualquer atendente"),
    ):
        select = confirm.get_by_label(label)
        select.focus()
        select.select_option(label=choice)
        expect(select.locator("option:checked")).to_have_text(choice)
    button = confirm.get_by_role("button", name="Criar o fluxo")
    button.focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Provedor importado")).to_be_visible()
    expect(page.locator(".flash")).to_contain_text("Fluxo importado.")
    expect(
        page.get_by_test_id("flow-settings").get_by_label("Ativa", exact=True)
    ).not_to_be_checked()
    with page.expect_download() as download:
        page.get_by_test_id("flow-export").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert {q["name"] for q in exported["queues"]} == {SALES, "Suporte"}
    assert len([n for n in exported["nodeList"] if n["type"] == "node"]) == len(
        [n for n in ORIGINAL["nodeList"] if n["type"] == "node"]
    )
    page.set_viewport_size(DESKTOP_SIZE)
    no_sideways_scroll(page)
    shot(page, "flow-imported-desktop")
    _delete_flow(page, live_app, "Provedor importado")
