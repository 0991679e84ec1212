"""Forms of the profile page and the password pages: shape only; the accounts services decide
(their errors are put next to the fields by ``dashboard.htmx``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    avatar = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
        help_text=_("PNG, JPEG, WebP or GIF, up to 2 MB. Shown to your team only."),
    )
    remove_avatar = forms.BooleanField(label=_("Remove my photo"), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=User.Language.choices, required=False)
    signature = forms.CharField(
        label=_("Signature"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Added under the text of your messages to customers when turned on."),
    )
    sign_messages = forms.BooleanField(label=_("Sign my messages"), required=False)
    notify_sound = forms.BooleanField(
        label=_("Play a sound for new waiting tickets"), required=False
    )
    notify_sound_messages = forms.BooleanField(
        label=_("Play a sound for new customer messages in my tickets"), required=False
    )
    notify_desktop = forms.BooleanField(
        label=_("Show desktop notifications while the inbox is in the background"),
        required=False,
    )
    theme = forms.ChoiceField(
        label=_("Theme"),
        choices=User.Theme.choices,
        required=False,
        help_text=_("“Follow the system” switches with your device's light or dark setting."),
    )

    def clean_theme(self) -> str:
        # Left out of the form: follow the system, as a new account does.
        return self.cleaned_data["theme"] or User.Theme.SYSTEM


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters. Your other devices will be signed out."),
    )


class PasswordForgotForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PasswordResetForm(forms.Form):
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters."),
    )
