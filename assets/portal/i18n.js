// The portal's words in English and German (the demo ISP is in Berlin). Every text a screen
// shows goes through `t`: the English text is the key, the German catalogue its translation
// ({name} placeholders filled from `params`); a text without a translation stays English.
// The locale comes from the browser (German for any `de-*`), can be switched in the header,
// and is kept in localStorage; dates, amounts and numbers are formatted for it.

const DE = {
  "Customer portal": "Kundenportal",
  "Dashboard": "Übersicht",
  "Sub-accounts": "Unterkonten",
  "Order services": "Dienste bestellen",
  "Manage orders": "Bestellungen verwalten",
  "Invoices": "Rechnungen",
  "Notifications": "Benachrichtigungen",
  "Sign out": "Abmelden",
  "Sign in": "Anmelden",
  "Login": "Benutzername",
  "Password": "Passwort",
  "Language": "Sprache",
  "ISP staff": "Mitarbeiter des Anbieters",
  "Welcome, {name}": "Willkommen, {name}",
  "Recently linked sub-accounts": "Zuletzt verknüpfte Unterkonten",
  "No sub-accounts yet.": "Noch keine Unterkonten.",
  "All sub-accounts": "Alle Unterkonten",
  "My account": "Mein Konto",
  "Status": "Status",
  "All": "Alle",
  "Search": "Suche",
  "Sort by": "Sortieren nach",
  "Name": "Name",
  "Linked": "Verknüpft",
  "Total cost": "Gesamtkosten",
  "Order": "Bestellung",
  "Direction": "Richtung",
  "Ascending": "Aufsteigend",
  "Descending": "Absteigend",
  "Apply": "Anwenden",
  "Full name": "Name",
  "Address": "Adresse",
  "Active services": "Aktive Dienste",
  "Billing": "Abrechnung",
  "Next page": "Nächste Seite",
  "Previous page": "Vorherige Seite",
  "Pages": "Seiten",
  "Page {n}": "Seite {n}",
  "1 sub-account": "1 Unterkonto",
  "{n} sub-accounts": "{n} Unterkonten",
  "Your ISP has not enabled sub-account management: the list is read-only.": "Ihr Anbieter hat die Verwaltung von Unterkonten nicht freigeschaltet: Die Liste ist schreibgeschützt.",
  "{n} active services of {name}": "{n} aktive Dienste von {name}",
  "New": "Neu",
  "Active": "Aktiv",
  "Blocked": "Gesperrt",
  "Inactive": "Inaktiv",
  "Paused": "Pausiert",
  "Pending": "Ausstehend",
  "Disabled": "Deaktiviert",
  "Archived": "Archiviert",
  "Recurring": "Wiederkehrend",
  "Prepaid": "Vorauszahlung",
  "Aggregated": "Zusammengefasst",
  "Independent": "Eigenständig",
  "Paid": "Bezahlt",
  "Awaiting main approval": "Wartet auf Hauptkonto",
  "Rejected by main": "Vom Hauptkonto abgelehnt",
  "Payment failed": "Zahlung fehlgeschlagen",
  "Expired": "Abgelaufen",
  "Cancelled": "Storniert",
  "Unpaid": "Offen",
  "Low": "Niedrig",
  "Medium": "Mittel",
  "High": "Hoch",
  "Urgent": "Dringend",
  "Waiting on agent": "Wartet auf Support",
  "Waiting on customer": "Wartet auf Kunde",
  "In progress": "In Bearbeitung",
  "Resolved": "Gelöst",
  "Monthly": "Monatlich",
  "One time": "Einmalig",
  "Internet": "Internet",
  "Voice": "Telefonie",
  "← Dashboard": "← Übersicht",
  "← Sub-accounts": "← Unterkonten",
  "Services": "Dienste",
  "Service": "Dienst",
  "Price": "Preis",
  "Actions": "Aktionen",
  "Order services for {name}": "Dienste bestellen für {name}",
  "Pause {name}": "{name} pausieren",
  "Resume {name}": "{name} fortsetzen",
  "New tariff": "Neuer Tarif",
  "Change now": "Jetzt wechseln",
  "Request change": "Wechsel beantragen",
  "Documents": "Dokumente",
  "Download": "Herunterladen",
  "Tickets": "Tickets",
  "Subject": "Betreff",
  "Message": "Nachricht",
  "Priority": "Priorität",
  "Hide from my main account": "Vor meinem Hauptkonto verbergen",
  "Open ticket": "Ticket eröffnen",
  "Activity": "Aktivität",
  "When": "Wann",
  "Who": "Wer",
  "What": "Was",
  "Change": "Änderung",
  "Nothing yet.": "Noch nichts.",
  "yes": "ja",
  "no": "nein",
  "Usage": "Verbrauch",
  "Show": "Anzeigen",
  "Show usage": "Verbrauch anzeigen",
  "By day, last 30 days": "Nach Tagen, letzte 30 Tage",
  "By month, last 12 months": "Nach Monaten, letzte 12 Monate",
  "Figures": "Zahlen",
  "Period": "Zeitraum",
  "Downloaded": "Heruntergeladen",
  "Uploaded": "Hochgeladen",
  "Online": "Online",
  "Order for": "Bestellen für",
  "Cart": "Warenkorb",
  "The cart is empty.": "Der Warenkorb ist leer.",
  "Tax": "Steuer",
  "Add": "Hinzufügen",
  "Quantity": "Menge",
  "Unit price": "Stückpreis",
  "Total": "Summe",
  "From the balance": "Vom Guthaben",
  "By card (test gateway)": "Per Karte (Testzahlung)",
  "Test card": "Testkarte",
  "Place order and pay": "Bestellen und bezahlen",
  "Ask my main account": "Mein Hauptkonto fragen",
  "Your main account approves and pays this order.": "Ihr Hauptkonto genehmigt und bezahlt diese Bestellung.",
  "Show all orders": "Alle Bestellungen",
  "Show waiting orders only": "Nur wartende Bestellungen",
  "1 order": "1 Bestellung",
  "{n} orders": "{n} Bestellungen",
  "Date": "Datum",
  "Sub-account": "Unterkonto",
  "Items": "Positionen",
  "Invoice": "Rechnung",
  "By card": "Per Karte",
  "Reason": "Grund",
  "You cannot order services for this account.": "Für dieses Konto können Sie keine Dienste bestellen.",
  "Choose another account": "Anderes Konto wählen",
  "There is no account you may order for.": "Es gibt kein Konto, für das Sie bestellen dürfen.",
  "Mark read": "Als gelesen markieren",
  "Mark all read": "Alle als gelesen markieren",
  "No notifications.": "Keine Benachrichtigungen.",
  "Older notifications": "Ältere Benachrichtigungen",
  "The portal cannot reach the server right now. Try again in a moment.": "Das Portal erreicht den Server gerade nicht. Bitte versuchen Sie es gleich noch einmal.",
  "This portal is for customers": "Dieses Portal ist für Kunden",
  "You are signed in as ISP staff. Staff work in the GraphQL playground, where every staff query and mutation is documented.": "Sie sind als Mitarbeiter des Anbieters angemeldet. Mitarbeiter arbeiten im GraphQL-Playground, in dem jede Abfrage und Änderung dokumentiert ist.",
  "Open the playground": "Playground öffnen",
  "Balance": "Guthaben",
  "Last invoice": "Letzte Rechnung",
  "No invoices yet.": "Noch keine Rechnungen.",
  "Open tickets": "Offene Tickets",
  "View tickets": "Tickets ansehen",
  "Orders waiting for approval": "Bestellungen zur Genehmigung",
  "Menu": "Menü",
  "Subtotal {subtotal} · tax {tax} · total {total}": "Zwischensumme {subtotal} · Steuer {tax} · Summe {total}",
  "Order {number}: {status}": "Bestellung {number}: {status}",
  "Downloaded {down}, uploaded {up}, online {time}": "Heruntergeladen {down}, hochgeladen {up}, online {time}",
  "{n} invoices": "{n} Rechnungen",
  "1 invoice": "1 Rechnung",
  "Sub account order placed": "Bestellung eines Unterkontos",
  "Order rejected": "Bestellung abgelehnt",
  "Order paid": "Bestellung bezahlt",
  "Service request approved": "Dienstanfrage genehmigt",
  "Service request rejected": "Dienstanfrage abgelehnt",
  "Ticket updated": "Ticket aktualisiert",
  "Invoice issued": "Rechnung ausgestellt",
  "Services ordered": "Dienste bestellt",
  "Order cancelled": "Bestellung storniert",
  "Service status changed": "Dienststatus geändert",
  "Order expiring": "Bestellung läuft ab",
  "Order expired": "Bestellung abgelaufen",
  "Balance transferred": "Guthaben übertragen",
  "Issued": "Ausgestellt",
  "Kind": "Art",
  "Lines": "Positionen",
  "1 line": "1 Position",
  "{n} lines": "{n} Positionen",
  "{name} (my account)": "{name} (mein Konto)",
  "Quantity of {name}": "Menge von {name}",
  "Add {name}": "{name} hinzufügen",
  "Remove {name}": "{name} entfernen",
  "Approved (tok_ok)": "Genehmigt (tok_ok)",
  "Declined (tok_declined)": "Abgelehnt (tok_declined)",
  "Pay {number} with": "{number} bezahlen mit",
  "Approve {number} (pay)": "{number} genehmigen (bezahlen)",
  "Reject {number}": "{number} ablehnen",
  "Why {number} is rejected": "Warum {number} abgelehnt wird",
  "expires {date}": "läuft am {date} ab",
  "Change to {name} requested": "Wechsel zu {name} beantragt",
  "Reply": "Antwort",
  "Send": "Senden",
  "Close ticket": "Ticket schließen",
  "Hidden from the main account.": "Vor dem Hauptkonto verborgen.",
  "Started": "Beginn",
  "Destination": "Ziel",
  "Duration": "Dauer",
  "Cost": "Kosten"
};

const CATALOGUES = { de: DE };
const STORED = "portal-locale";

function initial() {
  const kept = window.localStorage.getItem(STORED);
  if (kept === "de" || kept === "en") return kept;
  return (navigator.languages || [navigator.language]).some((l) => /^de\b/i.test(l || "")) ? "de" : "en";
}

/** `en` or `de`. */
export let locale = initial();

/** The BCP 47 tag Intl formats with. */
export const intlLocale = () => (locale === "de" ? "de-DE" : "en-GB");

/** A text in the reader's language, `{name}` placeholders filled from `params`. */
export function t(text, params = {}) {
  const found = CATALOGUES[locale]?.[text] ?? text;
  return found.replaceAll(/\{(\w+)\}/g, (whole, key) => (key in params ? String(params[key]) : whole));
}

/**
 * Refusals and errors in German, by their code. The server tells its own sentences
 * (notifications, why an order failed) in the language the portal asks for
 * (`Accept-Language`); its refusals' details are English, so a German reader gets the
 * sentence the code stands for.
 */
const REFUSALS_DE = {
  INVALID_INPUT: "Eine Angabe ist ungültig. Bitte prüfen Sie das Formular.",
  INSUFFICIENT_BALANCE: "Das Guthaben reicht für diesen Betrag nicht aus.",
  PAYMENT_DECLINED: "Die Zahlung wurde abgelehnt.",
  INVALID_STATE: "Das ist in diesem Zustand nicht mehr möglich. Laden Sie die Seite neu.",
  NOT_ALLOWED_BY_SETTINGS: "Ihr Anbieter hat das für dieses Konto nicht freigeschaltet.",
  DUPLICATE: "Das gibt es bereits.",
  INVALID_CREDENTIALS: "Benutzername oder Passwort ist falsch.",
  SPENDING_LIMIT_EXCEEDED: "Das überschreitet das Ausgabenlimit dieses Kontos.",
  EXPIRED: "Das ist abgelaufen.",
  FORBIDDEN: "Dafür fehlt Ihnen die Berechtigung.",
  NOT_FOUND: "Das wurde nicht gefunden: Es wurde entfernt, oder Sie dürfen es nicht sehen.",
  RATE_LIMITED: "Zu viele Anfragen. Bitte versuchen Sie es gleich noch einmal.",
  UNAUTHENTICATED: "Bitte melden Sie sich an.",
};

/** A refusal or error as the reader reads it: the server's sentence, or in German the
 * sentence its code stands for. */
export const refusalText = (code, message) => (locale === "de" && REFUSALS_DE[code]) || message;

/** Switches the language and draws everything again. */
export function setLocale(next) {
  window.localStorage.setItem(STORED, next);
  locale = next;
  document.documentElement.lang = next;
  translateStatic();
  window.dispatchEvent(new HashChangeEvent("hashchange"));
}

/** The page's own texts (the header): each element with data-i18n gets its translation. */
export function translateStatic() {
  document.documentElement.lang = locale;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  const pick = document.getElementById("locale");
  if (pick) pick.value = locale;
}
