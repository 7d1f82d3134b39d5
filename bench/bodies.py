"""Request bodies of the benchmark, one JSON document per line (wrk's post.lua sends them
round robin), and the switches the benchmark's main account needs.

  bodies.py setup PORT ADMIN_TOKEN MAIN_LOGIN   (DATABASE_URL names the server's database)
  bodies.py write DATABASE_URL MAIN_LOGIN OUT_DIR
  bodies.py mutation DATABASE_URL OUT_DIR
"""
import base64
import json
import os
import subprocess
import sys
import urllib.request

PAGE_OURS = """{ viewer { account { subAccounts(first: 50) { totalCount pageInfo { hasNextPage endCursor }
  nodes { id login fullName email status address { street city zipCode country } billingMode currency
    subAccountType linkedAt subAccountManagement activeServicesCount totalServiceCost
    capabilities { viewDetails order pauseServices changeServices viewInternetUsage viewVoiceUsage viewDocuments manageTickets manageOrders }
    services(first: 10) { totalCount nodes { id status price description startDate tariff { id name price downloadSpeedKbps } } }
    tickets(first: 5) { nodes { id subject status priority createdAt } } } } } } }"""

PAGE_PEER = """{ allAccounts(condition: {mainAccountId: "%s"}, first: 50, orderBy: [FULL_NAME_ASC, PRIMARY_KEY_ASC]) { totalCount pageInfo { hasNextPage endCursor }
  nodes { id rowId login fullName email status street city zipCode country billingMode currency
    subAccountType linkedAt subAccountManagement
    servicesByAccountId(first: 10, orderBy: PRIMARY_KEY_ASC) { totalCount nodes { id rowId status priceMinor description startDate tariffByTariffId { rowId name priceMinor downloadSpeedKbps } } }
    ticketsByAccountId(first: 5, orderBy: PRIMARY_KEY_DESC) { nodes { id rowId subject status priority createdAt } } } } }"""

BYID_OURS = """query($id: ID!) { node(id: $id) { ... on Account { id fullName status
  services(first: 10) { nodes { id status price tariff { name } } } } } }"""

BYID_PEER = """{ accountByRowId(rowId: "%s") { rowId fullName status
  servicesByAccountId(first: 10, orderBy: PRIMARY_KEY_ASC) { nodes { rowId status priceMinor tariffByTariffId { name } } } } }"""

# The page as a portal's "orders" view asks it: the aggregated sub-accounts (whose orders the
# main may see) with each row's latest documents and orders.
PAGE_DOCS_OURS = """{ viewer { account { subAccounts(first: 50, filter: {type: AGGREGATED}) { totalCount
  nodes { id fullName status billingMode activeServicesCount totalServiceCost
    documents(first: 3) { nodes { id kind title createdAt sizeBytes } }
    orders(first: 3) { nodes { id number status total createdAt } } } } } } }"""

PAGE_DOCS_PEER = """{ allAccounts(condition: {mainAccountId: "%s", subAccountType: "AGGREGATED"}, first: 50, orderBy: [FULL_NAME_ASC, PRIMARY_KEY_ASC]) { totalCount
  nodes { id rowId fullName status billingMode
    documentsByAccountId(first: 3, orderBy: PRIMARY_KEY_DESC) { nodes { rowId kind title createdAt sizeBytes } }
    ordersByAccountId(first: 3, orderBy: PRIMARY_KEY_DESC) { nodes { rowId number status totalMinor createdAt } } } } }"""

# Lists two deep: each sub-account's latest tickets with the start of their threads.
NESTED_OURS = """{ viewer { account { subAccounts(first: 50) { nodes { id fullName status
  tickets(first: 3) { nodes { id subject status createdAt
    messages(first: 5) { nodes { authorName fromStaff body createdAt } } } } } } } } }"""

NESTED_PEER = """{ allAccounts(condition: {mainAccountId: "%s"}, first: 50, orderBy: [FULL_NAME_ASC, PRIMARY_KEY_ASC]) {
  nodes { id rowId fullName status
    ticketsByAccountId(first: 3, orderBy: PRIMARY_KEY_DESC) { nodes { id rowId subject status createdAt
      ticketMessagesByTicketId(first: 5, orderBy: PRIMARY_KEY_ASC) { nodes { authorAccountId authorStaffId fromStaff body createdAt } } } } } } }"""

# A phone's first screen: three rows and the first page marker.
FIRST3_OURS = """{ viewer { account { subAccounts(first: 3) { pageInfo { hasNextPage endCursor }
  nodes { id login fullName status activeServicesCount totalServiceCost
    services(first: 3) { nodes { id status price } } } } } } }"""

FIRST3_PEER = """{ allAccounts(condition: {mainAccountId: "%s"}, first: 3, orderBy: [FULL_NAME_ASC, PRIMARY_KEY_ASC]) { pageInfo { hasNextPage endCursor }
  nodes { id rowId login fullName status
    servicesByAccountId(first: 3, orderBy: PRIMARY_KEY_ASC) { nodes { id rowId status priceMinor } } } } }"""

# The longest page a client may ask for, flat.
FIRST100_OURS = """{ viewer { account { subAccounts(first: 100) { totalCount pageInfo { hasNextPage endCursor }
  nodes { id login fullName status billingMode subAccountType linkedAt activeServicesCount totalServiceCost } } } } }"""

FIRST100_PEER = """{ allAccounts(condition: {mainAccountId: "%s"}, first: 100, orderBy: [FULL_NAME_ASC, PRIMARY_KEY_ASC]) { totalCount pageInfo { hasNextPage endCursor }
  nodes { id rowId login fullName status billingMode subAccountType linkedAt } } }"""

# Pages of every size from 1 to 100 rows, one size per request, as portals with different
# screens and page sizes ask them (the statements' texts must not depend on the size).
SIZES_OURS = """{ viewer { account { subAccounts(first: %d) { nodes { id fullName status
  services(first: 3) { nodes { id status price } } tickets(first: 2) { nodes { id subject } } } } } } }"""

SIZES_PEER = """{ allAccounts(condition: {mainAccountId: "%s"}, first: %d, orderBy: [FULL_NAME_ASC, PRIMARY_KEY_ASC]) {
  nodes { id rowId fullName status
    servicesByAccountId(first: 3, orderBy: PRIMARY_KEY_ASC) { nodes { id rowId status priceMinor } }
    ticketsByAccountId(first: 2, orderBy: PRIMARY_KEY_DESC) { nodes { id rowId subject } } } } }"""

SIZES = list(range(50, 101)) + list(range(1, 50))

# One list twice under aliases (the latest three and the first twenty), through fragments.
ALIASES_OURS = """query Aliased { viewer { account { subAccounts(first: 20) { nodes { ...Row
  latest: services(first: 3) { nodes { ...Svc } }
  all: services(first: 20) { totalCount nodes { ...Svc } } } } } } }
fragment Row on Account { id fullName status }
fragment Svc on Service { id status price tariff { name } }"""

ALIASES_PEER = """query Aliased { allAccounts(condition: {mainAccountId: "%s"}, first: 20, orderBy: [FULL_NAME_ASC, PRIMARY_KEY_ASC]) { nodes { ...Row
  latest: servicesByAccountId(first: 3, orderBy: PRIMARY_KEY_ASC) { nodes { ...Svc } }
  all: servicesByAccountId(first: 20, orderBy: PRIMARY_KEY_ASC) { totalCount nodes { ...Svc } } } } }
fragment Row on Account { id rowId fullName status }
fragment Svc on Service { id rowId status priceMinor tariffByTariffId { name } }"""

# One account by id with its services and its tickets.
BYID_TICKETS_OURS = """query($id: ID!) { node(id: $id) { ... on Account { id fullName status
  services(first: 10) { nodes { id status price tariff { name } } }
  tickets(first: 5) { nodes { id subject status createdAt } } } } }"""

BYID_TICKETS_PEER = """{ accountByRowId(rowId: "%s") { rowId fullName status
  servicesByAccountId(first: 10, orderBy: PRIMARY_KEY_ASC) { nodes { rowId status priceMinor tariffByTariffId { name } } }
  ticketsByAccountId(first: 5, orderBy: PRIMARY_KEY_DESC) { nodes { rowId subject status createdAt } } } }"""

ORDER_OURS = """query($id: ID!) { node(id: $id) { ... on Order { number status total createdAt
  items { quantity unitPrice total tariff { name } }
  invoice { number total lines { description quantity total } } } } }"""

ORDER_PEER = """{ orderByRowId(rowId: "%s") { number status totalMinor createdAt
  orderItemsByOrderId { nodes { quantity unitPriceMinor totalMinor tariffByTariffId { name } } }
  invoiceByInvoiceId { number totalMinor invoiceLinesByInvoiceId { nodes { description quantity totalMinor } } } } }"""

TICKET_OURS = """query($id: ID!) { node(id: $id) { ... on Ticket { subject status priority createdAt
  messages(first: 20) { nodes { authorName fromStaff body createdAt } } } } }"""

TICKET_PEER = """{ ticketByRowId(rowId: "%s") { subject status priority createdAt
  ticketMessagesByTicketId(first: 20, orderBy: PRIMARY_KEY_ASC) { nodes { authorAccountId authorStaffId fromStaff body createdAt } } } }"""

# A month of a sub-account's Internet usage by day. PostGraphile's default preset has no
# aggregates: its closest answer is the month's sessions, which the client sums.
USAGE_OURS = """query($id: ID!) { node(id: $id) { ... on Account {
  internetUsage(from: "%s", to: "%s", groupBy: DAY) { downloadBytes uploadBytes sessionSeconds
    points { periodStart downloadBytes uploadBytes sessionSeconds } } } } }"""

USAGE_PEER = """{ accountByRowId(rowId: "%s") {
  internetSessionsByAccountId(orderBy: DAY_ASC) { nodes { day downloadBytes uploadBytes durationSeconds } } } }"""

PAUSE_RESUME = """mutation($s: ID!) {
  pause: pauseService(input: {serviceId: $s}) { service { id status } userErrors { code } }
  resume: resumeService(input: {serviceId: $s}) { service { id status } userErrors { code } } }"""


def gid(kind, pk):
    return base64.urlsafe_b64encode(f"{kind}:{pk}".encode()).decode().rstrip("=")


def sql(url, query):
    out = subprocess.run(["psql", "-Atq", url, "-c", query], check=True, capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line]


def body(query, variables=None):
    return json.dumps({"query": " ".join(query.split()), "variables": variables or {}})


def post_body(port, auth, text):
    """POSTs a JSON request body to the server on `port` (`auth`: an Authorization header's
    value, or empty) and returns its answer."""
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=text.encode(), headers=headers)
    return json.load(urllib.request.urlopen(req))


def post(port, token, query, variables=None):
    answer = post_body(port, f"Bearer {token}", body(query, variables))
    assert "errors" not in answer, answer
    return answer["data"]


def setup(port, admin, login):
    main = sql(os.environ["DATABASE_URL"], f"select id from accounts where login = '{login}'")[0]
    post(port, admin, "mutation($a: ID!) { setSubAccountManagement(input: {accountId: $a, enabled: true}) { userErrors { code } } }",
         {"a": gid("Account", main)})
    post(port, admin, "mutation { updatePortalSettings(input: {independentSubAccountAccess: true}) { userErrors { code } } }")


def write(url, login, out):
    main = sql(url, f"select id from accounts where login = '{login}'")[0]
    subs = sql(url, f"select id from accounts where main_account_id = {main} order by id")
    # Orders the main account paid for its sub-accounts, tickets of its sub-accounts it may
    # open (not hidden from it), and a month of usage: the last 30 days the data has.
    orders = sql(url, f"select id from orders where payer_id = {main} and account_id <> {main} order by id limit 500")
    tickets = sql(url, f"select t.id from tickets t join accounts a on a.id = t.account_id "
                       f"where a.main_account_id = {main} and not t.hidden_from_main order by t.id limit 500")
    last = sql(url, "select coalesce(max(day), current_date) + 1 from internet_sessions")[0]
    first = sql(url, f"select date '{last}' - 30")[0]
    files = {
        "page-ours.jsonl": [body(PAGE_OURS)],
        "page-ours-small.jsonl": [body(PAGE_OURS)],
        "page-peer.jsonl": [body(PAGE_PEER % main)],
        "pagedocs-ours.jsonl": [body(PAGE_DOCS_OURS)],
        "pagedocs-peer.jsonl": [body(PAGE_DOCS_PEER % main)],
        "nested-ours.jsonl": [body(NESTED_OURS)],
        "nested-peer.jsonl": [body(NESTED_PEER % main)],
        "first3-ours.jsonl": [body(FIRST3_OURS)],
        "first3-peer.jsonl": [body(FIRST3_PEER % main)],
        "first100-ours.jsonl": [body(FIRST100_OURS)],
        "first100-peer.jsonl": [body(FIRST100_PEER % main)],
        # From 50 rows (the mean), so that the floor, which replays the first body, is of a
        # request like the average one.
        "sizes-ours.jsonl": [body(SIZES_OURS % n) for n in SIZES],
        "sizes-peer.jsonl": [body(SIZES_PEER % (main, n)) for n in SIZES],
        "aliases-ours.jsonl": [body(ALIASES_OURS)],
        "aliases-peer.jsonl": [body(ALIASES_PEER % main)],
        "byidtickets-ours.jsonl": [body(BYID_TICKETS_OURS, {"id": gid("Account", s)}) for s in subs],
        "byidtickets-peer.jsonl": [body(BYID_TICKETS_PEER % s) for s in subs],
        "byid-ours.jsonl": [body(BYID_OURS, {"id": gid("Account", s)}) for s in subs],
        "byid-peer.jsonl": [body(BYID_PEER % s) for s in subs],
        "order-ours.jsonl": [body(ORDER_OURS, {"id": gid("Order", o)}) for o in orders],
        "order-peer.jsonl": [body(ORDER_PEER % o) for o in orders],
        "ticket-ours.jsonl": [body(TICKET_OURS, {"id": gid("Ticket", t)}) for t in tickets],
        "ticket-peer.jsonl": [body(TICKET_PEER % t) for t in tickets],
        "usage-ours.jsonl": [body(USAGE_OURS % (first, last), {"id": gid("Account", s)}) for s in subs],
        "usage-peer.jsonl": [body(USAGE_PEER % s) for s in subs],
    }
    for name, lines in files.items():
        assert lines, f"{name}: no bodies (is the data generated?)"
    mutation(url, out)
    for name, lines in files.items():
        with open(os.path.join(out, name), "w") as f:
            f.write("\n".join(lines) + "\n")


def mutation(url, out):
    """Pause-and-resume bodies for 2,000 services that are ACTIVE now. Written again before
    each round: when wrk stops it drops requests in flight, and a request dropped between
    its pause and its resume leaves that service paused."""
    services = sql(url, "select id from services where status = 'ACTIVE' order by id limit 2000")
    with open(os.path.join(out, "mutation-ours.jsonl"), "w") as f:
        f.write("\n".join(body(PAUSE_RESUME, {"s": gid("Service", s)}) for s in services) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(*sys.argv[2:5])
    elif sys.argv[1] == "mutation":
        mutation(*sys.argv[2:4])
    else:
        write(*sys.argv[2:5])
