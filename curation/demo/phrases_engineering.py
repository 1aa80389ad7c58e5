"""Sentence templates for engineering design documents and runbooks.

A design doc or runbook fixes its `{service}` and `{datastore}` once, so every section talks
about the same system, the way a real document does.
"""

from __future__ import annotations

from curation.demo.phrases_policy import lines

DESIGN_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Context",
        lines("""
{service} currently handles about {count} million requests per day and its traffic has doubled over the last year.
The service was built as a single deployment backed by {datastore}, which made sense when the product had one customer segment.
Since the launch of {product}, the on-call rotation has seen a steady increase in pages related to {metric}.
Most incidents over the last two quarters were caused by long-running batch jobs competing with interactive traffic.
Teams that depend on {service} have asked for clearer guarantees about latency and for a documented way to replay failed events.
The current design predates our move to the shared Kubernetes platform and still relies on manually provisioned virtual machines.
Operational knowledge about {service} is concentrated in a small number of engineers, which is a risk for the rotation.
The last capacity review of {service} was done before {customer} joined, and their usage pattern is very different.
An audit finding from {year} asked us to document how {service} recovers from the loss of {datastore}.
"""),
    ),
    (
        "Goals",
        lines("""
Keep p99 latency for read requests below {latency} milliseconds at twice the current peak load.
Make every write idempotent so that clients can retry safely after a timeout.
Allow {service} to be deployed several times a day without a maintenance window.
Reduce the number of pages caused by {metric} by at least half within two quarters.
Provide a documented, tested procedure to rebuild the service from backups in under four hours.
Give downstream teams an event stream they can consume without querying {datastore} directly.
Cut the time to onboard a new engineer to the {service} rotation from weeks to days.
Remove the last manual steps from the release process of {service}.
Make the cost of running {service} visible per tenant so that pricing decisions can use real numbers.
Keep the error budget for {service} above zero in every month of the coming year.
"""),
    ),
    (
        "Non-goals",
        lines("""
This proposal does not change the public API contract of {service}; clients will not need to change their integration.
Multi-region active-active operation is out of scope and will be addressed in a separate design.
We do not plan to replace {datastore} as part of this work, although the new design makes that easier later.
Changes to the billing logic itself are not part of this proposal.
Migrating historical data older than {days} days is not covered here.
We are not changing how authentication works for internal callers of {service}.
Replacing the reporting pipeline that reads from {datastore} is left to the data platform team.
"""),
    ),
    (
        "Proposed design",
        lines("""
We propose to split {service} into a stateless API tier and a worker tier that consumes from {queue}.
Writes are recorded in an outbox table in the same transaction as the business change, and a relay publishes them to Kafka.
Each request carries an idempotency key, and the API tier stores the key with the response for {hours} hours.
Read traffic is served from a replica of {datastore}, while writes continue to go to the primary.
Batch jobs move to a separate worker pool with its own resource quota so that they cannot starve interactive requests.
Configuration is moved out of environment files and into the shared configuration service, versioned with the code.
The worker tier scales horizontally on queue depth, with a minimum of three replicas spread over availability zones.
Schema changes follow the expand and contract pattern so that old and new versions can run side by side during a deployment.
Every component exposes health, readiness and metrics endpoints that follow the platform conventions.
Failed messages are retried with exponential backoff and moved to the dead-letter queue after {count} attempts.
"""),
    ),
    (
        "Alternatives considered",
        lines("""
We considered scaling the existing deployment vertically, but load tests showed that {metric} becomes the bottleneck well before CPU does.
A managed queue service was evaluated, but it would move customer data outside our own data centres, which the data protection team did not approve.
Rewriting {service} from scratch was rejected because it would freeze feature work for at least two quarters.
Using change data capture from {datastore} instead of an outbox was attractive, but it ties consumers to our internal table layout.
Buying a commercial product was considered, but its licence cost grows with the number of events and would exceed the budget by year two.
Keeping the current design and adding more alerting would reduce detection time, but not the number of incidents.
A shared library for retries was considered instead of a queue, but it spreads the retry state across every client.
"""),
    ),
    (
        "Rollout plan",
        lines("""
The new worker tier will first run in shadow mode, consuming a copy of production traffic without side effects.
We will migrate internal tenants first, then {customer}, and finally the remaining customers in batches of {count}.
Each stage has an explicit rollback step that has been rehearsed in the staging environment.
Dashboards for {metric} and error budgets will be reviewed at every stage before we continue.
The old deployment remains available behind a feature flag for {days} days after the final migration step.
A go or no-go meeting with the service owners is held before each customer batch.
Support is briefed a week before the first customer migration and given a short list of known issues.
We will not migrate during the month-end close or the first week of {month}.
"""),
    ),
    (
        "Risks and open questions",
        lines("""
The outbox relay adds a new component that must be monitored, and its lag must be part of the service level objectives.
We still need to agree with the data platform team on the retention period for the new event stream.
Load tests so far used synthetic data, and real traffic may have a different distribution of request sizes.
It is not yet clear whether the replica of {datastore} can keep up with the write rate during month-end processing.
The on-call runbooks must be rewritten before the first production stage, and the team has limited capacity in {month}.
The security review of the new network paths has been requested but not yet scheduled.
Costs for the additional replicas are estimated at {amount} pounds per month and still need budget approval.
We depend on the platform team upgrading the cluster to the next Kubernetes version before the rollout.
"""),
    ),
)

RUNBOOK_ALERTS: tuple[str, ...] = (
    "high error rate",
    "consumer lag above threshold",
    "database connection pool exhausted",
    "disk usage above 85 percent",
    "certificate expiry",
    "elevated p99 latency",
    "replication lag",
    "failed nightly backup",
)

RUNBOOK_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Overview",
        lines("""
This runbook describes how to respond when the {alert} alert fires for {service}.
The alert is evaluated every minute and pages the primary on-call engineer after five minutes above the threshold.
{service} is a tier one service, so customer impact is likely if the condition lasts longer than fifteen minutes.
The service is owned by Platform Engineering and runs in the production cluster in two availability zones.
The alert was introduced after the incident review in {month} and its threshold was last tuned in {year}.
Dashboards linked from the alert show the last six hours by default; widen the window if the problem started earlier.
Most occurrences of this alert in the past were resolved by the primary on-call engineer without escalation.
"""),
    ),
    (
        "Symptoms",
        lines("""
Customers may see slow responses or timeouts in {product}, and the status page may start to receive reports.
Grafana shows {metric} above the alert threshold on the service overview dashboard.
Downstream services that call {service} will usually show an increase in retries at the same time.
The error logs often contain connection reset messages from {datastore} shortly before the alert fires.
Synthetic checks from the external probe may start failing for the login and checkout journeys.
Support may receive tickets from {customer} before the alert fires, because their traffic peaks early in the morning.
The batch workers usually fall behind first, so consumer lag on {queue} is an early warning sign.
"""),
    ),
    (
        "Diagnosis",
        lines("""
Check the deployment history first: most incidents in the last year started within an hour of a release.
Look at the service overview dashboard and compare {metric} with the same time last week.
Confirm whether the problem affects all pods or only one availability zone by filtering the dashboard by zone.
Check the health of {datastore} on its own dashboard before restarting anything in {service}.
Review recent changes to feature flags in the flag management console, as these are not shown in the deployment history.
Search the logs for the correlation id of a failing request to see which dependency returned the error.
Compare the number of ready pods with the desired replica count; a gap points at failing readiness probes.
Check whether the certificate presented by the load balancer is still valid and matches the expected host names.
Look for recent schema migrations, which can hold locks on busy tables for several minutes.
"""),
    ),
    (
        "Mitigation",
        lines("""
If the problem started after a deployment, roll back to the previous version with the deployment pipeline before investigating further.
If a single pod is unhealthy, delete it and let the deployment create a replacement.
If {datastore} is overloaded, pause the batch workers by scaling them to zero replicas.
Scale the API tier up by two replicas if CPU saturation is above 80 percent across all pods.
Do not fail over {datastore} without the approval of the database on-call engineer.
Once the alert has cleared for fifteen minutes, post an update in the incident channel and hand over to the service owner.
If a single tenant is responsible for most of the traffic, apply the per-tenant rate limit from the admin console.
Clear the retry backlog only after the root cause is fixed, otherwise the replayed messages will fail again.
Renew the certificate through the certificate manager and restart the ingress pods one at a time.
Record every action and its time in the incident channel so that the timeline can be rebuilt later.
"""),
    ),
)

RUNBOOK_COMMANDS: tuple[str, ...] = (
    "kubectl -n {namespace} get pods -l app={service} -o wide",
    "kubectl -n {namespace} rollout history deployment/{service}",
    "kubectl -n {namespace} rollout undo deployment/{service}",
    "kubectl -n {namespace} scale deployment/{service}-worker --replicas=0",
    "kubectl -n {namespace} logs deployment/{service} --since=30m | grep -i error",
    "psql -h db-primary.internal -c 'select count(*) from pg_stat_activity;'",
)

RST_TOPICS: tuple[tuple[str, str], ...] = (
    ("Service overview", "overview"),
    ("Local development setup", "development"),
    ("Configuration reference", "configuration"),
    ("Deployment guide", "deployment"),
    ("Monitoring and alerting", "monitoring"),
)

RST_SENTENCES = lines("""
{service} is deployed from the main branch by the deployment pipeline after all checks have passed.
Developers run the service locally with Docker Compose, which starts {datastore} and a stub of every dependency.
All configuration values can be overridden with environment variables prefixed with the service name.
The service exposes Prometheus metrics on port 9102, and the standard dashboards are provisioned automatically.
Secrets are never stored in the repository; they are read from Vault at start-up using the service account.
Integration tests run against a disposable database that is created and destroyed for every pipeline run.
Log lines are written as JSON to standard output and collected by the cluster log agent.
Feature flags are evaluated on every request and cached for thirty seconds to limit load on the flag service.
The service supports graceful shutdown and finishes in-flight requests for up to twenty seconds after receiving SIGTERM.
Database migrations run as a separate job before the new version of the service is rolled out.
Each pull request needs one approval from a code owner and a green build before it can be merged.
The staging environment is refreshed with anonymised production data every {weekday} night.
Alerts are routed to the on-call rotation of the owning team through the paging tool.
Dependencies are updated every {period} by an automated job that opens a pull request for each change.
Performance budgets for {metric} are checked in the pipeline and a regression blocks the release.
""")
