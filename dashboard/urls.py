"""The pages of a tenant host, each area under the URL namespace its templates use:
`tickets` (inbox and ticket panel), `conversations` (an agent writing first), `contacts`,
`contact_panel`, `manage` (the tenant admin's pages of every domain) and `accounts`
(sign-in)."""

from django.urls import URLPattern, URLResolver, include, path

from dashboard.automation import urls as automation_urls
from dashboard.automation.views import presence_set
from dashboard.campaigns import urls as campaigns_urls
from dashboard.contact_panel import urls as contact_panel_urls
from dashboard.contacts import manage_urls as contacts_manage_urls
from dashboard.contacts import urls as contacts_urls
from dashboard.conversations import urls as conversations_urls
from dashboard.flows import urls as flows_urls
from dashboard.inbox import urls as inbox_urls
from dashboard.manage import connection_urls, integration_urls
from dashboard.manage import urls as manage_urls
from dashboard.onboarding import urls as onboarding_urls
from dashboard.privacy import urls as privacy_urls
from dashboard.reports import urls as reports_urls
from dashboard.ticket_panel import urls as ticket_panel_urls

tickets: list[URLPattern | URLResolver] = [
    *inbox_urls.urlpatterns,
    *ticket_panel_urls.urlpatterns,
]

# Admin pages of every domain under /manage/, one namespace: {% url 'manage:queues' %}.
manage: list[URLPattern | URLResolver] = [
    *manage_urls.urlpatterns,
    *contacts_manage_urls.urlpatterns,
    *connection_urls.urlpatterns,
    *automation_urls.urlpatterns,
    *integration_urls.urlpatterns,
    *flows_urls.urlpatterns,
    *campaigns_urls.urlpatterns,
    *privacy_urls.urlpatterns,
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include((tickets, "tickets"))),
    path("contacts/", include(contacts_urls)),
    path("contact-panel/", include(contact_panel_urls)),
    path("conversations/", include(conversations_urls)),
    path("manage/", include((manage, "manage"))),
    path("reports/", include(reports_urls)),
    path("accounts/", include("dashboard.accounts.urls")),
    path("presence/", presence_set, name="presence-set"),
    path("onboarding/", include(onboarding_urls)),
]
