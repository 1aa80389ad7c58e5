"""Sentence templates for internal HR and IT policies.

Policies are built section by section (purpose, scope, rules, responsibilities, compliance,
review) from these pools, so each reads like a real policy while no two are the same text.
"""

from __future__ import annotations

from dataclasses import dataclass


def lines(block: str) -> tuple[str, ...]:
    """Split a block of one-template-per-line text, dropping blanks."""
    return tuple(line.strip() for line in block.strip().splitlines() if line.strip())


@dataclass(frozen=True)
class PolicyTopic:
    """One policy: its title, slug, owning team, subject phrase and its own rules."""

    slug: str
    title: str
    owner: str
    subject: str
    rules: tuple[str, ...]
    family: str  # "hr" or "it"


PURPOSE = lines("""
This policy sets out how Acme Industries manages {subject} and what every employee can expect from the company in return.
The purpose of this document is to give employees and managers one clear reference for {subject}, so that decisions are fair, consistent and easy to explain.
Acme Industries wants {subject} to be handled in a way that protects both the business and the people who work here.
This policy replaces all earlier local guidance on {subject} and should be read together with the employee handbook.
It explains the rules that apply to {subject}, who is responsible for applying them, and where to go for help when a situation is not covered.
We review our approach to {subject} regularly so that it reflects current legislation, good practice and feedback from staff.
""")

SCOPE = lines("""
This policy applies to all permanent and fixed-term employees of Acme Industries in every country where we operate, unless local law requires otherwise.
Contractors, agency workers and interns are covered where their contract refers to this policy; otherwise the terms agreed with their agency apply.
Where a country addendum exists, the addendum takes precedence over this policy for employees employed in that country.
Managers are expected to apply this policy consistently across their teams and to record any agreed exception in {system}.
Subsidiaries acquired in the last twelve months adopt this policy at the end of their integration period.
The policy does not form part of any contract of employment and may be amended by the company at any time after consultation.
""")

RESPONSIBILITIES = lines("""
Line managers are responsible for making sure their team members are aware of this policy and for applying it fairly.
{team} owns this policy, maintains the supporting procedures and answers questions from employees and managers.
Employees are responsible for reading this policy, following the procedures that support it and raising concerns early.
The {approver} must confirm any request that falls outside the standard rules before it takes effect.
Internal Audit may review compliance with this policy as part of its annual audit plan and report its findings to the executive committee.
Questions that cannot be answered by a line manager should be raised through the service desk portal, where they are routed to {team}.
Managers must keep records of decisions taken under this policy for at least {days} days after the end of the relevant period.
Where a decision affects pay or benefits, {team} will confirm it in writing within {days} working days.
""")

COMPLIANCE = lines("""
Failure to follow this policy may result in disciplinary action in line with the disciplinary procedure.
Any suspected breach of this policy should be reported to {team} as soon as possible, and reports are handled confidentially.
The company monitors compliance with this policy through regular reporting from {system} and periodic spot checks.
Employees who raise a concern in good faith will not suffer any detriment, even if the concern turns out to be unfounded.
Repeated or deliberate breaches will be escalated to the department head and may lead to dismissal in serious cases.
Exceptions to this policy are only valid when they are approved in writing and recorded with a clear end date.
""")

REVIEW = lines("""
This policy is reviewed every {period} by {team}, or sooner if legislation or business needs change.
Proposed changes are discussed with employee representatives before they are approved by the executive committee.
The current version of this policy is always available on the intranet; printed copies may be out of date.
Feedback on this policy is welcome at any time and can be sent to {team} through the service desk portal.
""")

LEAVE = PolicyTopic(
    "annual-leave-policy",
    "Annual Leave Policy",
    "People Operations",
    "annual leave and public holidays",
    lines("""
Full-time employees are entitled to 25 days of paid annual leave per holiday year in addition to public holidays.
Part-time employees receive a pro rata entitlement based on their contracted hours, rounded up to the nearest half day.
Leave must be requested in the HR information system at least {days} days in advance for absences longer than one week.
Up to five days of unused leave may be carried over into the first quarter of the next holiday year with the approval of the line manager.
Managers should make sure that no more than half of a team is on leave at the same time during the year-end close.
Employees who have completed five years of service receive one additional day of leave for each further year, up to a maximum of five days.
Leave taken during the notice period must be agreed with the line manager and may be offset against the final salary payment.
If an employee falls ill during annual leave, the days of sickness can be reclaimed as leave if a medical certificate is provided.
"""),
    "hr",
)

REMOTE = PolicyTopic(
    "remote-working-policy",
    "Remote and Hybrid Working Policy",
    "People Operations",
    "remote and hybrid working",
    lines("""
Employees may work remotely for up to three days per week where their role allows it and their line manager agrees.
Remote work from another country is limited to {days} days per calendar year because of tax and social security rules.
Employees working remotely must use a company-managed laptop and connect through the VPN client for all internal systems.
The company provides a one-off home office allowance of 400 pounds for a desk chair, monitor or other equipment.
Core collaboration hours are from 10:00 to 15:00 local time, and employees are expected to be reachable during that window.
Confidential documents must not be printed at home, and calls about customers should not be held in public places.
A workstation self-assessment must be completed within the first month of hybrid working and repeated every two years.
Requests for a fully remote arrangement are reviewed by the HR Business Partner together with the department head.
"""),
    "hr",
)

EXPENSES = PolicyTopic(
    "travel-and-expenses-policy",
    "Travel and Expenses Policy",
    "Finance",
    "business travel and expense claims",
    lines("""
Business travel must be booked through the travel booking portal unless the traveller can show a cheaper fare elsewhere.
Economy class is the standard for all flights under six hours; premium economy requires approval from the department head.
Expense claims must be submitted in the expense management tool within {days} days of the expense being incurred.
Every claim above 25 pounds needs an itemised receipt; card slips alone are not accepted as evidence of the expense.
Hotel costs are reimbursed up to the city limits published by Finance, which are reviewed every quarter.
Alcohol is not reimbursed unless it is part of a client entertainment event approved in advance by the budget holder.
Mileage for private cars is reimbursed at the rate published by the tax authority of the country of employment.
Corporate cards must not be used for personal purchases, and any accidental personal charge must be repaid within 30 days.
"""),
    "hr",
)

CONDUCT = PolicyTopic(
    "code-of-conduct",
    "Code of Business Conduct",
    "Legal and Compliance",
    "ethical business conduct",
    lines("""
Employees must not offer, give or accept gifts or hospitality that could influence a business decision or appear to do so.
Gifts worth more than 50 pounds must be declared in the gifts and hospitality register within five working days.
Conflicts of interest, including close personal relationships with suppliers or candidates, must be disclosed to the line manager.
Confidential information about customers, suppliers and colleagues may only be shared with people who need it for their work.
Employees must treat colleagues, customers and partners with respect, and harassment of any kind is not tolerated.
Political donations on behalf of the company are not permitted in any country where we operate.
Insider information about listed customers or partners must not be used for trading or passed on to others.
Concerns can also be raised anonymously through the independent whistleblowing hotline, which is available around the clock.
"""),
    "hr",
)

ONBOARDING = PolicyTopic(
    "onboarding-policy",
    "New Starter Onboarding Policy",
    "People Operations",
    "onboarding new employees",
    lines("""
Hiring managers must submit the new starter form at least {days} days before the first working day.
Every new employee is assigned an onboarding buddy from outside their direct team for the first three months.
Laptops and access badges are prepared by IT Operations and Facilities and handed over on the first morning.
Mandatory training on security awareness, data protection and the code of conduct must be completed within the first two weeks.
Probation reviews take place after three and six months and are recorded in the HR information system.
New managers attend the leadership foundations programme within their first six months in role.
Right-to-work checks must be completed and verified by People Operations before the employee starts work.
Feedback from new starters is collected after 30 and 90 days and used to improve the onboarding programme.
"""),
    "hr",
)

PARENTAL = PolicyTopic(
    "parental-leave-policy",
    "Parental Leave Policy",
    "People Operations",
    "maternity, paternity and shared parental leave",
    lines("""
Birth parents are entitled to up to 52 weeks of maternity leave, of which the first 26 weeks are paid at full salary.
Partners are entitled to four weeks of paid paternity leave, which can be taken in blocks of at least one week.
Adoptive parents receive the same leave and pay as birth parents, starting from the date of placement.
Employees should tell their line manager about planned leave at least 15 weeks before the expected week of childbirth.
Keeping-in-touch days allow employees to work up to ten days during leave without ending their leave period.
On return, employees may request flexible working, and such requests are considered within 28 days.
Pay during leave continues to count towards pension contributions and length of service.
Shared parental leave must be booked in the HR information system at least eight weeks before it starts.
"""),
    "hr",
)

PASSWORD = PolicyTopic(
    "password-and-authentication-policy",
    "Password and Authentication Policy",
    "Information Security",
    "passwords and authentication",
    lines("""
Passwords for company accounts must be at least 14 characters long and must not be reused across systems.
Multi-factor authentication is mandatory for all remote access, email and administrative accounts.
Employees must store passwords only in the company password manager and never in browsers, notes or spreadsheets.
Shared accounts are prohibited unless an exception is approved by the Information Security Manager and recorded in the register.
Service account credentials are stored in Vault and rotated at least every {days} days.
Accounts are locked after ten failed sign-in attempts and unlocked only after identity is verified by the service desk.
Hardware security keys are required for administrators of production systems and the identity provider.
A password that may have been exposed must be changed immediately and the incident reported to the service desk.
"""),
    "it",
)

ACCEPTABLE_USE = PolicyTopic(
    "acceptable-use-policy",
    "Acceptable Use of IT Systems Policy",
    "Information Security",
    "the acceptable use of company IT systems",
    lines("""
Company devices and accounts are provided for business purposes, and limited personal use is allowed if it does not affect work.
Employees must not install unapproved software; requests for new tools go through the service desk portal.
Company data must not be stored on personal cloud storage, USB drives or personal email accounts.
Internet use is logged and may be reviewed when there is a reasonable suspicion of misuse.
Generative AI tools may only be used with company data when the tool is listed as approved by Information Security.
Lost or stolen devices must be reported to the service desk within {hours} hours so that they can be wiped remotely.
Screens must be locked whenever a device is left unattended, including in the office.
Accessing, storing or sending offensive or illegal material on company systems is strictly prohibited.
"""),
    "it",
)

CLASSIFICATION = PolicyTopic(
    "data-classification-policy",
    "Data Classification and Handling Policy",
    "Information Security",
    "the classification and handling of information",
    lines("""
All information is classified as Public, Internal, Confidential or Restricted by the data owner when it is created.
Restricted information, such as payroll data and customer payment details, must be encrypted at rest and in transit.
Confidential documents must carry a visible classification label in the header or footer of every page.
Internal information may be shared with contractors only when a non-disclosure agreement is in place.
Personal data is handled in line with the data protection policy and retained only as long as the retention schedule allows.
Printed Restricted documents must be collected from the printer immediately and destroyed in the confidential waste bins.
When in doubt, employees should treat information as Confidential until the data owner confirms its classification.
Data owners review the classification of their key information assets every {period}.
"""),
    "it",
)

BACKUP = PolicyTopic(
    "backup-and-recovery-policy",
    "Backup and Recovery Policy",
    "IT Operations",
    "the backup and recovery of business systems",
    lines("""
Production databases are backed up every night with point-in-time recovery enabled for the previous {days} days.
Backups are stored in a second region and encrypted with keys that are managed separately from the production keys.
Restore tests are carried out every quarter for each critical system and the results are recorded in the service register.
The recovery time objective for tier one systems is four hours and the recovery point objective is fifteen minutes.
Backup failures raise an alert to the on-call engineer, who must investigate within the same working day.
Backups older than the retention period are deleted automatically, unless a legal hold has been placed on them.
System owners must confirm every year that the backup scope still covers all data needed to run their service.
Access to backup storage is limited to members of IT Operations and reviewed every quarter.
"""),
    "it",
)

INCIDENT = PolicyTopic(
    "security-incident-response-policy",
    "Security Incident Response Policy",
    "Information Security",
    "the response to information security incidents",
    lines("""
Any suspected security incident must be reported to the service desk or the security team immediately.
Incidents are classified by severity, and severity one incidents trigger the incident bridge within 30 minutes.
The incident commander coordinates the response, keeps the timeline and decides when to escalate to executives.
Evidence such as logs, disk images and emails must be preserved and must not be altered during the investigation.
Where personal data is affected, the Data Protection Officer assesses within {hours} hours whether the regulator must be notified.
Customers are informed of incidents that affect their data in line with contractual notification periods.
A post-incident review is held within ten working days and its actions are tracked to completion.
Phishing emails should be reported with the report button in Outlook rather than forwarded to colleagues.
"""),
    "it",
)

ACCESS = PolicyTopic(
    "access-control-policy",
    "Access Control Policy",
    "Information Security",
    "access to systems and data",
    lines("""
Access to systems is granted on the principle of least privilege and only for as long as it is needed.
Requests for access are made in the service desk portal and approved by the data owner of the system.
Privileged access to production is granted just in time and expires automatically after {hours} hours.
Managers must review the access rights of their team members every quarter and remove anything no longer needed.
Leavers' accounts are disabled on their last working day and deleted after {days} days.
Access by third parties is time-limited and requires a named sponsor inside the company.
Administrative actions on production systems are logged centrally and retained for at least one year.
Generic or shared administrator accounts may only be used through the privileged access management tool.
"""),
    "it",
)

POLICY_TOPICS: tuple[PolicyTopic, ...] = (
    LEAVE,
    REMOTE,
    EXPENSES,
    CONDUCT,
    ONBOARDING,
    PARENTAL,
    PASSWORD,
    ACCEPTABLE_USE,
    CLASSIFICATION,
    BACKUP,
    INCIDENT,
    ACCESS,
)

# Small wording changes between revisions of a policy: the kind of edit a reviewer makes.
REVISION_SUBSTITUTIONS: tuple[tuple[str, str], ...] = (
    ("must", "shall"),
    ("employees", "colleagues"),
    ("Employees", "Colleagues"),
    ("line manager", "direct manager"),
    ("as soon as possible", "without undue delay"),
    ("every quarter", "every three months"),
    ("at least", "no less than"),
    ("service desk portal", "IT self-service portal"),
    ("company", "organisation"),
    ("immediately", "straight away"),
    ("within", "no later than"),
)

REVISION_ADDITIONS = lines("""
This section was updated following the annual review to reflect feedback from employee representatives.
Managers should refer to the updated guidance notes on the intranet when applying this section.
Where local legislation sets a higher standard, the local standard applies.
The procedures supporting this section were simplified and now require one approval instead of two.
A short e-learning module explaining these changes is available in the learning management system.
""")
