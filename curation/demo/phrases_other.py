"""Sentence templates for knowledge-base articles, e-mails, memos and reports, plus the
German and French text and the junk (lorem ipsum, log lines) the corpus needs.
"""

from __future__ import annotations

from curation.demo.phrases_policy import lines

KB_TOPICS: tuple[tuple[str, str, str], ...] = (
    ("How to connect to the VPN from home", "vpn", "the VPN client"),
    ("Setting up multi-factor authentication on a new phone", "mfa", "the authenticator app"),
    ("Requesting access to a shared drive", "shared-drive", "the service desk portal"),
    ("Booking a meeting room with video conferencing", "meeting-rooms", "Outlook"),
    ("Submitting an expense claim from your phone", "expenses-mobile", "the expense app"),
    ("Resetting a forgotten password", "password-reset", "the password reset page"),
    ("Connecting to an office printer", "printing", "the printer portal"),
    ("Sharing files securely with external partners", "external-sharing", "OneDrive"),
    ("Reporting a phishing email", "phishing", "Outlook"),
    ("Setting an out-of-office reply", "out-of-office", "Outlook"),
    (
        "Installing approved software from the company portal",
        "software-portal",
        "the company portal",
    ),
    ("Encrypting a USB drive", "usb-encryption", "the encryption tool"),
    ("Joining the guest Wi-Fi network", "guest-wifi", "the Wi-Fi settings"),
    ("Moving files from your laptop to OneDrive", "onedrive", "OneDrive"),
    ("Updating your personal details in the HR system", "hr-details", "the HR information system"),
    ("Ordering a replacement laptop charger", "laptop-charger", "the service desk portal"),
    ("Using the visitor registration kiosk", "visitors", "the visitor kiosk"),
    ("Creating a distribution list", "distribution-lists", "the Exchange admin page"),
    ("Recovering a deleted file", "file-recovery", "OneDrive"),
    ("Preparing your laptop for travel abroad", "travel-laptop", "the VPN client"),
    ("Setting up email on a personal phone", "byod-email", "Outlook"),
    ("Requesting a new starter's equipment", "new-starter-kit", "the service desk portal"),
    ("Using the secure print release", "secure-print", "the printer portal"),
    ("Changing your desk phone voicemail greeting", "voicemail", "Microsoft Teams"),
)

KB_INTRO = lines("""
This article explains the steps to follow and the most common problems people run into.
It applies to all company-managed Windows and macOS laptops unless stated otherwise.
If you are working from a customer site, some of these steps may be blocked by the customer network.
Most people can complete these steps in under ten minutes without help from the service desk.
Before you start, make sure your laptop has been restarted in the last week so that the latest updates are installed.
""")

KB_STEPS = lines("""
Open {app} from the Start menu or the Applications folder.
Sign in with your company email address and approve the request on your phone.
Select the option that matches your office location and confirm with the Continue button.
Wait until the status indicator turns green; this usually takes less than a minute.
If you are asked for a verification code, use the code shown in the authenticator app.
Choose the folder or resource you need and select Request access.
Enter a short business reason so that the data owner can approve the request quickly.
Restart {app} after the change so that the new settings take effect.
Check that the change worked by signing out and signing in again.
Close any other applications that might be using the same files before you continue.
""")

KB_TROUBLESHOOTING = lines("""
If {app} shows an error about an expired certificate, restart your laptop and try again before contacting the service desk.
A slow connection is usually caused by the home router; moving closer to it or using a cable often helps.
If you no longer have access to your old phone, the service desk can issue a temporary access code after verifying your identity.
Access requests are approved by the data owner, so a request made late on Friday may not be approved until Monday.
Some hotel and airport networks block the protocols we use; in that case switch to your phone's hotspot.
If the problem continues after these steps, raise a ticket in the service desk portal and attach a screenshot of the error.
Do not install third-party tools to work around the problem, as they may be blocked by the endpoint protection software.
""")

KB_CONTACT = (
    "For help, contact the IT Service Desk at it-servicedesk@acme.example.com or call "
    "+44 20 7946 0600 between 08:00 and 18:00 UK time. This article is maintained by "
    "{owner} ({owner_email})."
)

MAIL_SUBJECTS = lines("""
Q{qn} budget review - actions
Re: {initiative} kick-off
Invoice {invoice} overdue
Updated agenda for {weekday}'s steering group
Contract renewal with {customer}
Re: access request for the finance share
Offsite planning - {city}
Follow-up from the security review
Quarterly headcount plan
Re: incident on {service} last night
Payment details for invoice {invoice}
Welcome to the team
Draft board pack for review
Supplier onboarding documents
Re: holiday cover in {month}
""")

MAIL_OPENERS = lines("""
Thanks for your time on the call earlier today.
Following up on our conversation at the steering group, here is a short summary.
I hope you had a good weekend.
Apologies for the slow reply, the last two weeks have been busy with the year-end close.
As promised, I am sending over the notes and the open actions.
Just a quick update before the meeting on {weekday}.
Thanks for flagging this so quickly.
""")

MAIL_BODIES = lines("""
We agreed to move the go-live for {initiative} to the first week of {month}, provided the testing sign-off is complete by then.
Finance has approved the revised budget of {amount} pounds, but any further change will need to go back to the steering group.
The vendor has confirmed that the new pricing applies from the start of the next contract year.
I have attached the latest version of the plan; the main change is the extra week for user acceptance testing.
Could you please confirm by {weekday} whether your team can provide two people for the data migration rehearsal?
The root cause of last night's incident was a configuration change that had not been reviewed, and the fix is now in place.
We are still waiting for the signed data processing agreement from {customer} before we can share any production data.
The headcount plan assumes {count} new roles in the second half, mostly in engineering and customer support.
Please treat the attached figures as confidential until they have been presented to the board.
The audit team would like to interview the system owners in the week of the {count}th; I will send invitations shortly.
I spoke to {person} and they are happy to take over the supplier review while I am on leave.
We need to close the open purchase orders before the end of the month so that the accruals are correct.
The training sessions for the new expense tool are booked for {weekday} and Thursday next week.
Our contact at {customer} mentioned that they are reviewing two other providers, so we should move quickly on the renewal.
Let me know if anything in the summary does not match your notes.
The legal team has reviewed the draft terms and only has minor comments on the liability clause.
I would suggest we keep the scope of the first phase small and agree the second phase once we have the results.
Could you share the latest version of the risk register before the meeting, so that we can go through the open items?
The new starter begins on {weekday}, and their laptop and access badge have already been ordered.
We have booked the large meeting room in {city} for the workshop, with video conferencing for the remote attendees.
I have asked {person} to join the call, as they know the history of the contract better than anyone.
The numbers in the forecast do not yet include the price increase that the supplier announced last week.
""")

MAIL_CLOSERS = lines("""
Many thanks,
Best regards,
Kind regards,
Thanks again,
Cheers,
""")

PAYMENT_SENTENCES = lines("""
Please make the payment by bank transfer to the account below and quote the invoice number as the reference.
Our bank details have changed since the last invoice, so please update your supplier record before the next payment run.
The amount outstanding is {amount} euros, which was due on the {count}th of {month}.
If the payment has already been made, please send us the remittance advice so we can match it.
""")

MEMO_SENTENCES = lines("""
The executive committee met on {weekday} and agreed the priorities for the next {period}.
All departments are asked to submit their revised forecasts to Finance by the end of {month}.
The London office will be closed for maintenance over the bank holiday weekend, and remote access will remain available.
From next month, all purchase orders above {amount} pounds need a second approval from the budget holder.
The employee engagement survey closes on Friday, and so far {pct} percent of colleagues have responded.
We are pleased to announce that {person} has been appointed to lead {initiative} from the start of next quarter.
Travel to the Berlin office should be booked at least two weeks in advance because of the trade fair.
The new visitor policy requires every guest to be registered at reception and accompanied at all times.
Please make sure that all personal data held in shared mailboxes is reviewed against the retention schedule.
The annual fire drill will take place on {weekday} morning, and floor wardens will receive a briefing beforehand.
Car park permits for the new financial year can be requested through the Facilities page on the intranet.
The canteen will move to its new location on the ground floor from the first of {month}.
Following the results of the customer survey, we will invest further in self-service tools for our customers.
Finance will hold two briefing sessions on the new budgeting process; both will be recorded for those who cannot attend.
The IT team will upgrade the laptop fleet over the coming {period}, starting with the oldest devices.
Our office in {city} has achieved its energy efficiency certification, the first in the group to do so.
Please remember that all expense claims for the current year must be submitted before the year-end deadline.
The pension scheme provider will run drop-in sessions in the London and Berlin offices next month.
We have signed a new three-year agreement with {customer}, our largest contract to date.
Thank you to everyone who volunteered at the community day; together we raised {amount} pounds for local charities.
The annual security awareness training is now available and must be completed by the end of {month}.
Working hours over the festive period will be confirmed by each department head in the coming weeks.
""")

MEMO_SUBJECTS: tuple[str, ...] = (
    "Priorities for the next quarter",
    "Office update and facilities",
    "Budget process and deadlines",
    "Company news",
    "Changes to purchasing approvals",
    "Security awareness training",
    "Year-end arrangements",
)

REPORT_TITLES: tuple[tuple[str, str], ...] = (
    ("Quarterly Operations Review", "operations-review"),
    ("Customer Satisfaction Survey Results", "customer-satisfaction"),
    ("IT Service Performance Report", "it-service-performance"),
    ("Sustainability and Energy Report", "sustainability"),
    ("Supplier Risk Assessment", "supplier-risk"),
    ("Workforce and Diversity Report", "workforce"),
    ("Information Security Metrics", "security-metrics"),
    ("Market Overview", "market-overview"),
    ("Internal Audit Summary", "audit-summary"),
    ("Cloud Cost Report", "cloud-cost"),
)

REPORT_SENTENCES = lines("""
Revenue for {quarter} reached {millions} million pounds, an increase of {pct} percent on the same quarter last year.
Operating costs rose by {small_pct} percent, mainly because of higher energy prices and the new office lease.
Customer satisfaction improved for the third consecutive quarter, with the strongest gains in {region}.
The number of open support tickets older than thirty days fell from {count}0 to {count}.
Staff turnover was {pct} percent over the last twelve months, slightly below the industry benchmark.
Spending on cloud infrastructure was {pct} percent above budget because of the parallel running of old and new platforms.
The share of suppliers with a completed security assessment increased to {pct} percent.
Energy consumption across our offices fell by {pct} percent after the move to the new building in {city}.
Two audit findings from the previous year remain open and are expected to be closed by the end of {quarter}.
Average first response time at the service desk was {hours} hours, against a target of four hours.
The survey received responses from {headcount} customers, a response rate of {pct} percent.
Most respondents rated the onboarding experience as good or very good, while billing remained the main source of complaints.
We recommend continuing the investment in self-service tools, which reduced repeat contacts by {pct} percent.
The main risks for the coming year are the dependency on a small number of key suppliers and the tight labour market.
Headcount at the end of the period was {headcount}, with {count} vacancies still open.
Availability of tier one services was 99.{count} percent, within the agreed service level.
The number of phishing emails reported by staff doubled, which reflects the success of the awareness campaign.
Costs were reduced by consolidating {count} legacy applications onto the shared platform.
The findings in this report are based on data up to the end of {month} and have not been audited.
Management accepted all recommendations and agreed owners and due dates for each of them.
""")

REPORT_RECOMMENDATIONS = lines("""
Extend the self-service portal to cover the five most common ticket types by the end of {quarter}.
Agree a single owner for each open audit finding and review progress monthly at the executive committee.
Renegotiate the contracts with the three largest suppliers before their renewal dates next year.
Introduce quarterly cost reviews for cloud infrastructure with each product team.
Run the customer survey twice a year so that the effect of changes can be measured sooner.
Complete security assessments for all suppliers that process personal data by the end of {year}.
Publish the energy figures for each office on the intranet to encourage further savings.
Fill the open vacancies in engineering before starting new projects in {region}.
""")

GERMAN_POLICY = lines("""
Diese Richtlinie regelt den Anspruch auf Erholungsurlaub für alle Beschäftigten der Acme Industries GmbH in Deutschland.
Vollzeitbeschäftigte haben Anspruch auf 30 Arbeitstage bezahlten Urlaub pro Kalenderjahr.
Teilzeitbeschäftigte erhalten einen anteiligen Anspruch, der sich nach der Anzahl ihrer vertraglichen Arbeitstage richtet.
Urlaubsanträge sind mindestens zwei Wochen im Voraus im Personalinformationssystem zu stellen.
Die Genehmigung erfolgt durch die direkte Führungskraft unter Berücksichtigung der betrieblichen Belange.
Nicht genommener Urlaub kann bis zum 31. März des Folgejahres übertragen werden, danach verfällt er.
Während der Jahresabschlussarbeiten im Januar sollen in der Finanzabteilung nicht mehr als zwei Personen gleichzeitig abwesend sein.
Erkrankt ein Beschäftigter während des Urlaubs, werden die durch ärztliches Attest nachgewiesenen Krankheitstage nicht auf den Urlaub angerechnet.
Der Betriebsrat wurde bei der Erstellung dieser Richtlinie beteiligt und hat ihr zugestimmt.
Bei Fragen zu dieser Richtlinie wenden Sie sich bitte an die Personalabteilung in Berlin.
Sonderurlaub wird bei Eheschließung, Geburt eines Kindes oder Todesfall in der Familie gewährt.
Die Führungskräfte sind dafür verantwortlich, dass die Urlaubsplanung ihres Teams rechtzeitig abgestimmt wird.
Diese Richtlinie tritt am ersten Tag des Folgemonats in Kraft und ersetzt alle bisherigen Regelungen.
Änderungen dieser Richtlinie werden im Intranet veröffentlicht und allen Beschäftigten per E-Mail mitgeteilt.
Die Urlaubstage werden im Personalinformationssystem erfasst und sind dort jederzeit einsehbar.
Für Auszubildende gelten ergänzend die Bestimmungen des Berufsbildungsgesetzes.
""")

GERMAN_MAIL_OPENING = "vielen Dank für die schnelle Rückmeldung zu unserem Angebot."

GERMAN_MAIL = lines("""
Wie besprochen sende ich Ihnen anbei die überarbeitete Rechnung für die Lieferungen im letzten Quartal.
Bitte überweisen Sie den offenen Betrag bis zum Ende des Monats auf das unten angegebene Konto.
Die Lieferung an das Lager in Hamburg ist für die kommende Woche geplant.
Sollten Sie Fragen zur Abrechnung haben, können Sie mich jederzeit telefonisch erreichen.
Wir freuen uns auf die weitere Zusammenarbeit im neuen Jahr.
Unsere Buchhaltung hat die Zahlung noch nicht zuordnen können, daher bitten wir um eine kurze Bestätigung.
Die neuen Konditionen gelten ab dem ersten Januar und wurden bereits mit Ihrem Einkauf abgestimmt.
Bitte beachten Sie, dass sich unsere Bankverbindung geändert hat.
Die Unterlagen für die Lieferantenbewertung finden Sie im Anhang dieser Nachricht.
""")

FRENCH_ARTICLE = lines("""
Cet article explique comment configurer l'accès à distance au réseau de l'entreprise depuis votre domicile.
Avant de commencer, vérifiez que votre ordinateur portable a été redémarré au cours de la dernière semaine.
Ouvrez le client VPN depuis le menu Démarrer et connectez-vous avec votre adresse électronique professionnelle.
Une notification vous sera envoyée sur votre téléphone afin de confirmer votre identité.
Sélectionnez le site de Paris si vous travaillez habituellement dans nos bureaux français.
La connexion est généralement établie en moins d'une minute lorsque le réseau domestique fonctionne correctement.
Si un message d'erreur concernant un certificat expiré apparaît, redémarrez votre ordinateur et réessayez.
Certains réseaux d'hôtels ou d'aéroports bloquent les protocoles utilisés; dans ce cas, utilisez le partage de connexion de votre téléphone.
N'installez pas d'outils tiers pour contourner le problème, car ils peuvent être bloqués par le logiciel de protection.
Si le problème persiste, ouvrez un ticket sur le portail du support informatique et joignez une capture d'écran.
Le support informatique est disponible du lundi au vendredi, de huit heures à dix-huit heures.
Les données de l'entreprise ne doivent jamais être enregistrées sur un stockage personnel ou une clé USB non chiffrée.
""")

FRENCH_MEMO = lines("""
Le comité de direction s'est réuni mardi et a validé les priorités pour le prochain trimestre.
Toutes les directions sont invitées à transmettre leurs prévisions révisées au service financier avant la fin du mois.
Les bureaux de Paris seront fermés pour travaux pendant le week-end prolongé, l'accès à distance restera disponible.
À partir du mois prochain, tout bon de commande supérieur à cinq mille euros nécessitera une seconde validation.
L'enquête annuelle d'engagement des collaborateurs se termine vendredi et le taux de participation dépasse déjà soixante pour cent.
Les déplacements vers le bureau de Berlin doivent être réservés au moins deux semaines à l'avance en raison du salon professionnel.
Chaque visiteur doit désormais être enregistré à l'accueil et accompagné pendant toute la durée de sa visite.
Nous vous remercions de vérifier que les données personnelles conservées dans les boîtes partagées respectent la politique de conservation.
L'exercice d'évacuation annuel aura lieu jeudi matin et les responsables d'étage recevront une consigne au préalable.
Les demandes de badge de parking pour le nouvel exercice peuvent être faites sur la page des services généraux de l'intranet.
Le nouveau fournisseur de restauration commencera ses prestations au début du mois prochain.
Pour toute question, vous pouvez contacter le service des achats.
""")

LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
    "labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco "
    "laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in "
    "voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat "
    "non proident, sunt in culpa qui officia deserunt mollit anim id est laborum."
)

LOG_MESSAGES: tuple[str, ...] = (
    "INFO  [http-nio-8080-exec-{n}] c.a.ledger.api.RequestLogger - GET /v1/accounts/{id} 200 {ms}ms",
    "INFO  [http-nio-8080-exec-{n}] c.a.ledger.api.RequestLogger - POST /v1/transfers 201 {ms}ms",
    "WARN  [pool-2-thread-{n}] c.a.ledger.db.ConnectionPool - pool usage at {pct}% (max=50)",
    "ERROR [pool-2-thread-{n}] c.a.ledger.db.ConnectionPool - timeout acquiring connection after 30000ms",
    "DEBUG [scheduler-{n}] c.a.ledger.jobs.Reconcile - batch {id} processed rows={ms}",
    "INFO  [kafka-consumer-{n}] c.a.ledger.events.Relay - offset committed partition={n} offset={id}",
)
