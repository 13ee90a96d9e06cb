using System.Globalization;
using System.Text;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Raffles;
using Bazaar.Server.Wallet;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using static Bazaar.Server.Dashboard.ApiCalls;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

/// <summary>
/// Raffles: create, edit, generate tickets, activate or stop sales (one by one or in bulk), tickets, the provably fair
/// draw with its verification data; raffle orders with the proof, confirm or cancel (one by one or in bulk).
/// Every change goes through the raffles' own API handlers and <see cref="RaffleOrders"/>.
/// </summary>
internal static class RafflesPages
{
    private static string Opt(string value, string label, string? selected) =>
        $"<option value=\"{E(value)}\"{(string.Equals(selected, value, StringComparison.OrdinalIgnoreCase) ? " selected" : "")}>{E(label)}</option>";

    private static string Money(long minor, string currency) => E(Currencies.Format(minor, currency));

    public static async Task<IResult> List(HttpContext http, BazaarDb db, TimeProvider clock, CancellationToken ct, string? status = null, int page = 1)
    {
        page = Math.Max(1, page);
        var list = Value<Paged<RafflesApi.RaffleView>>(await RafflesApi.List(db, ct, string.IsNullOrWhiteSpace(status) ? null : status, page, 50))
            ?? new Paged<RafflesApi.RaffleView>([], page, 50, 0);
        var now = clock.GetUtcNow().UtcDateTime;
        var canEdit = DashboardAuth.Allows(http.User, DashboardAuth.Manage);
        var pending = await db.RaffleOrders.CountAsync(o => o.Status == RaffleOrderStatus.PendingPayment, ct);
        var sb = new StringBuilder($"""
            <p><a class="btn" href="/admin/raffles/orders">Raffle orders awaiting approval <span class="badge badge-{(pending > 0 ? "warn" : "ok")}">{pending}</span></a></p>
            <section class="card">
              <form method="get" class="filters" aria-label="Filter raffles">
                <select name="status" aria-label="Status">{Opt("", "any status", status)}{string.Join("", RaffleStatus.All.Select(s => Opt(s, s, status)))}</select>
                <button class="btn" type="submit">Filter</button>
              </form>
            """);
        if (canEdit)
            sb.Append($"""
                <form method="post" action="/admin/raffles/bulk" id="bulk" class="filters bulk">
                  {Csrf(http)}
                  <span class="muted">With the selected:</span>
                  <button class="btn" type="submit" name="op" value="generate">Generate tickets</button>
                  <button class="btn btn-primary" type="submit" name="op" value="activate">Activate (start sales)</button>
                  <button class="btn" type="submit" name="op" value="close">Stop sales</button>
                </form>
                """);
        sb.Append("<div class=\"scroll\"><table><thead><tr>");
        if (canEdit) sb.Append("<th><input type=\"checkbox\" data-select-all=\"ids\" aria-label=\"Select all\"></th>");
        sb.Append("<th>Raffle</th><th>Status</th><th class=\"num\">Ticket</th><th>Numbers</th><th class=\"num\">Sold / free</th><th>Draw</th></tr></thead><tbody>");
        foreach (var r in list.Items)
        {
            var counts = await TicketQueries.CountsAsync(db, r.Id, now, ct);
            sb.Append($"<tr data-raffle=\"{r.Id}\">");
            if (canEdit) sb.Append($"<td><input type=\"checkbox\" name=\"ids\" value=\"{r.Id}\" form=\"bulk\" aria-label=\"Select {E(r.Title)}\"></td>");
            sb.Append($"<td><a href=\"/admin/raffles/{r.Id}\">{E(r.Title)}</a></td><td>{Badge(r.Status)}</td><td class=\"num\">{Money(r.TicketPrice, r.Currency)}</td>" +
                      $"<td>{r.NumberFrom}–{r.NumberTo}{(r.TicketsGeneratedAt is null ? " <span class=\"badge badge-muted\">NO TICKETS</span>" : "")}</td>" +
                      $"<td class=\"num\">{counts[TicketStatus.Sold]} / {counts[TicketStatus.Available]}</td>" +
                      $"<td>{(r.WinningNumber is { } w ? $"winner #{w}" : Time(r.DrawAt))}</td></tr>");
        }
        if (list.Items.Count == 0) sb.Append("<tr><td colspan=\"7\" class=\"muted\">No raffles yet.</td></tr>");
        sb.Append($"</tbody></table></div>{Pager(http.Request, page, 50, list.Total)}</section>");
        if (canEdit) sb.Append($"<section class=\"card\"><h2>New raffle</h2>{Form(http, null)}</section>");
        return Page(http, "Raffles", "raffles", sb.ToString());
    }

    private static string Form(HttpContext http, RafflesApi.RaffleView? r)
    {
        var dis = DashboardAuth.Allows(http.User, DashboardAuth.Manage) && r?.Status != RaffleStatus.Drawn ? "" : " disabled";
        return $"""
            <form method="post" action="/admin/raffles{(r is null ? "" : $"/{r.Id}")}" class="form-grid">
              {Csrf(http)}
              <label>Title <input name="title" required maxlength="200" value="{E(r?.Title)}"{dis}></label>
              <label>Prize <input name="prize" maxlength="1000" value="{E(r?.Prize)}"{dis}></label>
              <label class="wide">Description <textarea name="description" rows="2"{dis}>{E(r?.Description)}</textarea></label>
              <label>Ticket price <input name="price" required inputmode="decimal" value="{E(r?.TicketPriceMajor.ToString(CultureInfo.InvariantCulture))}"{dis}></label>
              <label>Currency <input name="currency" maxlength="5" value="{E(r?.Currency ?? "USD")}"{dis}></label>
              <label>First number <input name="numberFrom" type="number" min="0" value="{r?.NumberFrom ?? 1}"{dis}></label>
              <label>Last number <input name="numberTo" type="number" min="0" value="{r?.NumberTo ?? 100}"{dis}></label>
              <label>Most tickets per order <input name="maxTickets" type="number" min="1" max="1000" value="{r?.MaxTicketsPerOrder ?? 10}"{dis}></label>
              <label>Draw at (UTC) <input name="drawAt" type="datetime-local" value="{LocalInput(r?.DrawAt)}"{dis}></label>
              {(dis == "" ? $"<div class=\"wide\"><button class=\"btn btn-primary\" type=\"submit\">{(r is null ? "Create raffle (draft)" : "Save changes")}</button></div>" : "")}
            </form>
            """;
    }

    private static RafflesApi.RaffleRequest? Request(IFormCollection f, string? status, out string? error)
    {
        error = null;
        var currency = Currencies.Normalize(Text(f, "currency") is { Length: > 0 } c ? c : "USD");
        if (!Currencies.IsKnown(currency)) { error = $"Unknown currency {currency}."; return null; }
        if (Decimal(f, "price") is not { } price || !Currencies.TryToMinor(price, currency, out var minor))
        {
            error = $"Enter the ticket price in {currency}, e.g. 2.50.";
            return null;
        }
        return new RafflesApi.RaffleRequest(Text(f, "title"), Text(f, "description"), Text(f, "prize"), minor, currency, Int(f, "numberFrom") ?? -1,
            Int(f, "numberTo") ?? -1, Int(f, "maxTickets") ?? 0, Utc(f, "drawAt"), status);
    }

    private static RafflesApi.RaffleRequest Same(RafflesApi.RaffleView r, string status) =>
        new(r.Title, r.Description, r.Prize, r.TicketPrice, r.Currency, r.NumberFrom, r.NumberTo, r.MaxTicketsPerOrder, r.DrawAt, status);

    public static async Task<IResult> Create(HttpContext http, BazaarDb db, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var f = await http.Request.ReadFormOrBadRequestAsync(ct);
        if (Request(f, null, out var error) is not { } req) return RedirectWith(http, "/admin/raffles", error!, error: true);
        var result = await RafflesApi.Create(req, db, clock, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, "/admin/raffles", problem, error: true);
        var r = Value<RafflesApi.RaffleView>(result)!;
        await audit.WriteAsync("raffle.create", $"raffle:{r.Id}", null, r with { DrawSeed = null }, ct);
        return RedirectWith(http, $"/admin/raffles/{r.Id}", $"Raffle \"{r.Title}\" created as a draft. Generate its tickets, then activate it.");
    }

    public static async Task<IResult> Update(long id, HttpContext http, BazaarDb db, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var f = await http.Request.ReadFormOrBadRequestAsync(ct);
        var self = $"/admin/raffles/{id}";
        var before = Value<RafflesApi.RaffleView>(await RafflesApi.Get(id, db, ct));
        if (before is null) return RedirectWith(http, "/admin/raffles", $"There is no raffle {id}.", error: true);
        if (Request(f, before.Status == RaffleStatus.Drawn ? null : before.Status, out var error) is not { } req) return RedirectWith(http, self, error!, error: true);
        var result = await RafflesApi.Update(id, req, db, clock, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, self, problem, error: true);
        await audit.WriteAsync("raffle.update", $"raffle:{id}", before with { DrawSeed = null }, Value<RafflesApi.RaffleView>(result)! with { DrawSeed = null }, ct);
        return RedirectWith(http, self, "Saved.");
    }

    /// <summary>Generate tickets, activate or stop sales, for one raffle or the selected ones; each through the API's own rules.</summary>
    public static async Task<IResult> Bulk(HttpContext http, BazaarDb db, RaffleOrders orders, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var f = await http.Request.ReadFormOrBadRequestAsync(ct);
        var ids = Ids(f);
        var back = ids.Count == 1 && Text(f, "from") == "raffle" ? $"/admin/raffles/{ids[0]}" : "/admin/raffles";
        if (ids.Count == 0) return RedirectWith(http, back, "Select at least one raffle first.", error: true);
        var op = Text(f, "op");
        if (op is not ("generate" or "activate" or "close")) return RedirectWith(http, back, "Choose what to do with the selected raffles.", error: true);
        var done = new List<long>();
        var failed = new List<string>();
        foreach (var id in ids)
        {
            var before = Value<RafflesApi.RaffleView>(await RafflesApi.Get(id, db, ct));
            if (before is null) { failed.Add($"#{id}: there is no such raffle"); continue; }
            IResult result = op == "generate"
                ? await RafflesApi.Generate(id, orders, db, ct)
                : await RafflesApi.Update(id, Same(before, op == "activate" ? RaffleStatus.Active : RaffleStatus.Closed), db, clock, ct);
            if (Problem(result) is { } problem) { failed.Add($"{before.Title}: {problem}"); continue; }
            done.Add(id);
            await audit.WriteAsync($"raffle.{op}", $"raffle:{id}", new { before.Status, before.TicketsGeneratedAt },
                op == "generate" ? Value<RafflesApi.Generated>(result) : new { Status = op == "activate" ? RaffleStatus.Active : RaffleStatus.Closed }, ct);
        }
        var summary = op switch
        {
            "generate" => $"Tickets generated for {done.Count} raffle(s).",
            "activate" => $"{done.Count} raffle(s) activated: tickets are on sale.",
            _ => $"Sales stopped for {done.Count} raffle(s).",
        };
        var message = (done.Count > 0 ? summary : "Nothing changed.") + (failed.Count > 0 ? " Not changed: " + string.Join("; ", failed) : "");
        return RedirectWith(http, back, message, error: done.Count == 0);
    }

    public static async Task<IResult> Show(long id, HttpContext http, BazaarDb db, TimeProvider clock, CancellationToken ct, string? tickets = null, int page = 1)
    {
        var r = Value<RafflesApi.RaffleView>(await RafflesApi.Get(id, db, ct));
        if (r is null) return Page(http, "No such raffle", "raffles", $"<p>There is no raffle {id}. <a href=\"/admin/raffles\">All raffles</a></p>", 404);
        var canEdit = DashboardAuth.Allows(http.User, DashboardAuth.Manage);
        var av = Value<RafflesApi.Availability>(await RafflesApi.GetAvailability(id, db, clock, ct))!;
        string Op(string op, string label, string css = "btn") =>
            Button(http, "/admin/raffles/bulk", label, css, null, $"<input type=\"hidden\" name=\"ids\" value=\"{id}\"><input type=\"hidden\" name=\"from\" value=\"raffle\"><input type=\"hidden\" name=\"op\" value=\"{op}\">");
        var actions = !canEdit || r.Status == RaffleStatus.Drawn ? "" : string.Join(" ", new[]
        {
            r.TicketsGeneratedAt is null ? Op("generate", "Generate tickets", "btn btn-primary") : "",
            r.Status != RaffleStatus.Active ? Op("activate", "Activate (start sales)", r.TicketsGeneratedAt is null ? "btn" : "btn btn-primary") : Op("close", "Stop sales"),
            av.Sold > 0 ? Button(http, $"/admin/raffles/{id}/draw", "🎲 Draw the winner", "btn btn-danger",
                $"Draw now? Sales stop and the winner is chosen among the {av.Sold} sold tickets; this cannot be undone.") : "",
        });
        var sb = new StringBuilder($"""
            <section class="card">
              <p>{Badge(r.Status)} · {Money(r.TicketPrice, r.Currency)} a ticket · numbers {r.NumberFrom}–{r.NumberTo} ·
                 <b>{av.Sold}</b> sold, <b>{av.Reserved}</b> held, <b>{av.Available}</b> free</p>
              <div class="actions">{actions}</div>
            </section>
            """);
        sb.Append(DrawHtml(r));
        sb.Append($"<section class=\"card\"><h2>Details</h2>{Form(http, r)}</section>");
        sb.Append($"<p><a class=\"btn\" href=\"/admin/raffles/orders?raffleId={id}&status=\">This raffle's orders</a></p>");
        var list = Value<Paged<RafflesApi.TicketView>>(await RafflesApi.Tickets(id, db, clock, ct, string.IsNullOrWhiteSpace(tickets) ? null : tickets, Math.Max(1, page), 100));
        if (list is not null)
        {
            sb.Append($"""
                <section class="card" id="tickets"><h2>Tickets</h2>
                  <form method="get" class="filters"><select name="tickets" aria-label="Ticket status">{Opt("", "all", tickets)}{string.Join("", TicketStatus.All.Select(s => Opt(s, s.ToLowerInvariant(), tickets)))}</select>
                  <button class="btn" type="submit">Filter</button></form>
                  <div class="scroll"><table><thead><tr><th>Number</th><th>Status</th><th>Order</th><th>Held until</th><th>Sold</th></tr></thead><tbody>
                """);
            foreach (var t in list.Items)
                sb.Append($"<tr><td>{E(t.Label)}</td><td>{Badge(t.Status)}</td><td>{(t.OrderId is { } o ? $"<a href=\"/admin/raffles/orders?orderId={o}\">#{o}</a>" : "")}</td><td>{Time(t.HeldUntil)}</td><td>{Time(t.SoldAt)}</td></tr>");
            if (list.Items.Count == 0) sb.Append("<tr><td colspan=\"5\" class=\"muted\">No tickets yet: generate them first.</td></tr>");
            sb.Append($"</tbody></table></div>{Pager(http.Request, Math.Max(1, page), 100, list.Total)}</section>");
        }
        return Page(http, r.Title, "raffles", sb.ToString());
    }

    private static string DrawHtml(RafflesApi.RaffleView r) => $"""
        <section class="card" id="draw"><h2>Provably fair draw</h2>
          <dl class="verify">
            <dt>Commitment (SHA-256 of the seed, fixed at creation)</dt><dd><code>{E(r.DrawCommitment)}</code></dd>
            <dt>Seed</dt><dd>{(r.DrawSeed is null ? "<span class=\"muted\">revealed after the draw</span>" : $"<code>{E(r.DrawSeed)}</code>")}</dd>
            <dt>Sold tickets' list hash</dt><dd>{(r.ParticipantListHash is null ? "—" : $"<code>{E(r.ParticipantListHash)}</code>")}</dd>
            <dt>Winning number</dt><dd>{(r.WinningNumber is { } w ? $"<b>{w}</b> (order <a href=\"/admin/raffles/orders?orderId={r.WinningOrderId}\">#{r.WinningOrderId}</a>), drawn {Time(r.DrawnAt)}" : "not drawn yet")}</dd>
            <dt>Method</dt><dd><code>{E(Giveaways.FairDraw.Method)}</code></dd>
          </dl>
          <p class="muted small">Anyone can check: SHA-256(seed) equals the commitment, and the draw over the sold numbers with this seed gives the winning number.</p>
        </section>
        """;

    public static async Task<IResult> Draw(long id, HttpContext http, BazaarDb db, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var result = await RafflesApi.Draw(id, db, clock, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, $"/admin/raffles/{id}", problem, error: true);
        var d = Value<RafflesApi.DrawView>(result)!;
        await audit.WriteAsync("raffle.draw", $"raffle:{id}", null, d, ct);
        return RedirectWith(http, $"/admin/raffles/{id}#draw", $"Drawn: number {d.WinningNumber} wins (order #{d.WinningOrderId}), out of {d.SoldTickets} sold tickets.");
    }

    // Orders

    public static async Task<IResult> Orders(HttpContext http, BazaarDb db, CancellationToken ct, string? status = RaffleOrderStatus.PendingPayment,
        long? raffleId = null, long? orderId = null, long? userId = null, int page = 1)
    {
        page = Math.Max(1, page);
        Paged<RafflesApi.OrderView> list;
        if (orderId is { } oid)
        {
            var one = Value<RafflesApi.OrderView>(await RafflesApi.GetOrder(oid, db, ct));
            list = new Paged<RafflesApi.OrderView>(one is null ? [] : [one], 1, RafflesApi.OrdersPageSize, one is null ? 0 : 1);
        }
        else
        {
            var result = await RafflesApi.Orders(db, ct, string.IsNullOrWhiteSpace(status) ? null : status, raffleId, null, userId, page);
            list = Value<Paged<RafflesApi.OrderView>>(result) ?? new Paged<RafflesApi.OrderView>([], 1, RafflesApi.OrdersPageSize, 0);
        }
        var raffleIds = list.Items.Select(o => o.RaffleId).Distinct().ToList();
        var raffles = await db.Raffles.AsNoTracking().Where(r => raffleIds.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
        var sb = new StringBuilder($"""
            <section class="card">
              <form method="get" class="filters" aria-label="Filter raffle orders">
                <select name="status" aria-label="Status">{Opt("", "any status", status)}{string.Join("", RaffleOrderStatus.All.Select(s => Opt(s, s.Replace('_', ' ').ToLowerInvariant(), status)))}</select>
                <input name="raffleId" inputmode="numeric" placeholder="raffle id" value="{E(raffleId)}" aria-label="Raffle id">
                <input name="orderId" inputmode="numeric" placeholder="order id" value="{E(orderId)}" aria-label="Order id">
                <button class="btn" type="submit">Filter</button>
              </form>
              <form method="post" action="/admin/raffles/orders/bulk" id="bulk-orders" class="filters bulk">
                {Csrf(http)}
                <span class="muted">With the selected:</span>
                <button class="btn btn-primary" type="submit" name="op" value="confirm" onclick="return confirm('Confirm payment of the selected orders? Their tickets become sold.')">✅ Confirm payment</button>
                <input name="reason" maxlength="500" placeholder="Reason for cancelling (the customer is told)" aria-label="Cancel reason">
                <button class="btn btn-danger" type="submit" name="op" value="cancel">❌ Cancel orders</button>
              </form>
              <div class="deposits">
            """);
        foreach (var o in list.Items)
        {
            var raffle = raffles.GetValueOrDefault(o.RaffleId);
            var numbers = string.Join(", ", o.Numbers.Select(n => raffle?.Format(n) ?? n.ToString(CultureInfo.InvariantCulture)));
            var proof = !o.HasProof ? "<p class=\"muted\">No proof sent.</p>"
                : o.ProofContentType?.StartsWith("image/", StringComparison.Ordinal) == true
                    ? $"<a href=\"/admin/raffles/orders/{o.Id}/proof\" target=\"_blank\"><img class=\"proof\" src=\"/admin/raffles/orders/{o.Id}/proof\" alt=\"Payment proof of raffle order {o.Id}\" loading=\"lazy\"></a>"
                    : $"<p><a href=\"/admin/raffles/orders/{o.Id}/proof\" target=\"_blank\">Open the proof ({E(o.ProofContentType)})</a></p>";
            var live = RaffleOrderStatus.IsLive(o.Status);
            sb.Append($"""
                <article class="deposit" data-raffle-order="{o.Id}">
                  <div><label class="inline-label"><input type="checkbox" name="ids" value="{o.Id}" form="bulk-orders"{(live ? "" : " disabled")} aria-label="Select order {o.Id}"> <b>#{o.Id}</b></label>
                    {Badge(o.Status)} · <b>{Money(o.Amount, o.Currency)}</b> · {o.TicketCount} ticket(s)</div>
                  <div>{E(raffle?.Title ?? $"raffle {o.RaffleId}")}: <b>{E(numbers)}</b></div>
                  <div class="muted"><a href="/admin/users/{o.UserId}">{E(o.ContactName ?? o.Contact)}</a> · {E(o.Channel)} · {Time(o.CreatedAt)}{(o.PaidWith is null ? "" : $" · {E(o.PaidWith)}")}</div>
                  {proof}
                  {(o.CancelReason is null ? "" : $"<div class=\"muted small\">Cancelled: {E(o.CancelReason)}</div>")}
                  <div class="actions">{(o.Status == RaffleOrderStatus.PendingPayment
                      ? Button(http, $"/admin/raffles/orders/{o.Id}/confirm", "✅ Confirm payment", "btn btn-primary", $"Confirm {Currencies.Format(o.Amount, o.Currency)} received for order {o.Id}?") : "")}
                    {(live ? $"<form method=\"post\" action=\"/admin/raffles/orders/{o.Id}/cancel\" class=\"inline reject\">{Csrf(http)}<input name=\"reason\" maxlength=\"500\" placeholder=\"Reason (optional)\"><button class=\"btn btn-danger\" type=\"submit\">Cancel</button></form>" : "")}</div>
                </article>
                """);
        }
        sb.Append("</div>");
        if (list.Items.Count == 0) sb.Append("<p class=\"muted\">No raffle orders match.</p>");
        sb.Append($"{Pager(http.Request, page, RafflesApi.OrdersPageSize, list.Total)}</section>");
        return Page(http, "Raffle orders", "raffles", sb.ToString());
    }

    public static async Task<IResult> Proof(long id, BazaarDb db, CancellationToken ct)
    {
        var result = await RafflesApi.Proof(id, db, ct);
        if (Problem(result) is null) return result;
        return PaymentsPages.Placeholder(await db.RaffleOrders.AnyAsync(o => o.Id == id && o.ProofPath != null, ct)
            ? "The proof was sent in the sandbox: the file stays in the sender's browser."
            : "This order has no proof.");
    }

    private static async Task<IResult> One(long id, string op, HttpContext http, RaffleOrders orders, BazaarDb db, AuditLog audit, string? reason, CancellationToken ct)
    {
        var before = Value<RafflesApi.OrderView>(await RafflesApi.GetOrder(id, db, ct));
        var r = op == "confirm" ? await orders.ConfirmPaymentAsync(id, "manual", null, ct) : await orders.CancelAsync(id, null, reason, ct);
        if (!r.Ok) return Results.Problem(r.Detail ?? r.Error);
        await audit.WriteAsync(op == "confirm" ? "raffle_order.confirm" : "raffle_order.cancel", $"raffle_order:{id}",
            new { before?.Status }, new { r.Order!.Status, reason }, ct);
        return Results.Ok();
    }

    private static string Outcome(string op, long id, IResult r) => r is IStatusCodeHttpResult { StatusCode: 200 }
        ? (op == "confirm" ? $"Order #{id} paid: its tickets are sold and the customer got their numbers." : $"Order #{id} cancelled: its tickets are free again and the customer was told.")
        : $"Order #{id}: " + ((r as ProblemHttpResult)?.ProblemDetails.Detail ?? "not changed.");

    public static async Task<IResult> Confirm(long id, HttpContext http, RaffleOrders orders, BazaarDb db, AuditLog audit, CancellationToken ct)
    {
        var r = await One(id, "confirm", http, orders, db, audit, null, ct);
        return RedirectWith(http, "/admin/raffles/orders", Outcome("confirm", id, r), error: r is not IStatusCodeHttpResult { StatusCode: 200 });
    }

    public static async Task<IResult> Cancel(long id, HttpContext http, RaffleOrders orders, BazaarDb db, AuditLog audit, CancellationToken ct)
    {
        var f = await http.Request.ReadFormOrBadRequestAsync(ct);
        var r = await One(id, "cancel", http, orders, db, audit, Optional(f, "reason"), ct);
        return RedirectWith(http, "/admin/raffles/orders", Outcome("cancel", id, r), error: r is not IStatusCodeHttpResult { StatusCode: 200 });
    }

    public static async Task<IResult> BulkOrders(HttpContext http, RaffleOrders orders, BazaarDb db, AuditLog audit, CancellationToken ct)
    {
        var f = await http.Request.ReadFormOrBadRequestAsync(ct);
        var ids = Ids(f);
        var op = Text(f, "op");
        if (ids.Count == 0) return RedirectWith(http, "/admin/raffles/orders", "Select at least one order first.", error: true);
        if (op is not ("confirm" or "cancel")) return RedirectWith(http, "/admin/raffles/orders", "Choose confirm or cancel.", error: true);
        var ok = 0;
        var failed = new List<string>();
        foreach (var id in ids)
        {
            var r = await One(id, op, http, orders, db, audit, Optional(f, "reason"), ct);
            if (r is IStatusCodeHttpResult { StatusCode: 200 }) ok++;
            else failed.Add(Outcome(op, id, r));
        }
        var message = $"{ok} order(s) {(op == "confirm" ? "confirmed as paid" : "cancelled")}." + (failed.Count > 0 ? " " + string.Join(" ", failed) : "");
        return RedirectWith(http, "/admin/raffles/orders", message, error: ok == 0);
    }
}
