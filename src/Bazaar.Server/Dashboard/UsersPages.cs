using System.Globalization;
using System.Text;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Payments;
using Bazaar.Server.Referrals;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

/// <summary>Customers: search, a profile with balances and ledger history, adjustments through the ledger, block and unblock.</summary>
internal static class UsersPages
{
    public static async Task<IResult> List(HttpContext http, BazaarDb db, CancellationToken ct, string? q = null, int page = 1)
    {
        var users = db.Users.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(q))
        {
            var s = q.Trim().TrimStart('@');
            var id = long.TryParse(s, out var n) ? n : -1;
            users = users.Where(u => u.Id == id || u.ExternalId == s || (u.Username != null && u.Username.Contains(s)) ||
                                     (u.FirstName != null && u.FirstName.Contains(s)));
        }
        page = Math.Max(1, page);
        var total = await users.CountAsync(ct);
        var rows = await users.OrderByDescending(u => u.Id).Skip((page - 1) * 50).Take(50).ToListAsync(ct);
        var ids = rows.Select(r => r.Id).ToList();
        var banned = await db.UserBans.AsNoTracking().Where(b => ids.Contains(b.UserId)).Select(b => b.UserId).ToListAsync(ct);
        var table = new StringBuilder("<div class=\"scroll\"><table><thead><tr><th>#</th><th>Name</th><th>Channel</th><th>Channel id</th><th>Joined</th><th>Last seen</th><th></th></tr></thead><tbody>");
        foreach (var u in rows)
        {
            var flags = (banned.Contains(u.Id) ? Badge("BLOCKED") : "") + (u.IsBlocked ? " <span class=\"badge badge-muted\">BOT BLOCKED BY USER</span>" : "");
            table.Append($"<tr><td>{u.Id}</td><td><a href=\"/admin/users/{u.Id}\">{E(u.DisplayName)}</a>{(u.Username is null ? "" : $" <span class=\"muted\">@{E(u.Username)}</span>")}</td>" +
                         $"<td>{E(u.Channel)}</td><td><code>{E(u.ExternalId)}</code></td><td>{Time(u.CreatedAt)}</td><td>{Time(u.LastSeenAt)}</td><td>{flags}</td></tr>");
        }
        table.Append($"</tbody></table></div>{Pager(http.Request, page, 50, total)}");
        if (http.Request.Headers.ContainsKey("HX-Request")) return Results.Content(table.ToString(), "text/html; charset=utf-8");
        var body = $"""
            <section class="card">
              <form method="get" class="filters" role="search">
                <input type="search" name="q" value="{E(q)}" placeholder="id, Telegram id or username" aria-label="Search users"
                       hx-get="/admin/users" hx-trigger="input changed delay:300ms, search" hx-target="#user-results" hx-push-url="true">
                <button class="btn" type="submit">Search</button>
              </form>
              <div id="user-results">{table}</div>
            </section>
            """;
        return Page(http, "Users", "users", body);
    }

    public static async Task<IResult> Profile(long id, HttpContext http, BazaarDb db, IOptions<ShopCurrencyOptions> shop, ReferralStats referrals, CancellationToken ct)
    {
        var u = await db.Users.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (u is null) return Page(http, "No such user", "users", $"<p>There is no user {id}. <a href=\"/admin/users\">Search users</a></p>", 404);
        var ban = await db.UserBans.AsNoTracking().FirstOrDefaultAsync(b => b.UserId == id, ct);
        var balances = await WalletModule.Balances(db, id, ct);
        var movements = await WalletModule.Movements(db, id, 50, ct);
        var payments = await db.Payments.AsNoTracking().Where(p => p.UserId == id).OrderByDescending(p => p.Id).Take(20).ToListAsync(ct);
        var sb = new StringBuilder();
        sb.Append($"""
            <section class="card">
              <p><b>{E(u.DisplayName)}</b>{(u.Username is null ? "" : $" @{E(u.Username)}")} · {E(u.Channel)} <code>{E(u.ExternalId)}</code> · language {E(u.LanguageCode)}</p>
              <p class="muted">Joined {Time(u.CreatedAt)} · last seen {Time(u.LastSeenAt)}{(u.IsBlocked ? " · has blocked the bot" : "")}</p>
              <p>{(ban is null ? Badge("ACTIVE") : $"{Badge("BLOCKED")} by {E(ban.By)} {Time(ban.At)}: {E(ban.Reason)}")}</p>
            """);
        if (DashboardAuth.Allows(http.User, DashboardAuth.Manage))
        {
            sb.Append(ban is null
                ? $"""
                  <form method="post" action="/admin/users/{id}/block" class="filters">{Csrf(http)}
                    <input name="reason" required maxlength="500" placeholder="Why (kept in the audit log)">
                    <button class="btn btn-danger" type="submit">Block</button></form>
                  """
                : Button(http, $"/admin/users/{id}/unblock", "Unblock", "btn"));
        }
        sb.Append("</section><section class=\"card\"><h2>Balance</h2>");
        sb.Append(balances.Count == 0 ? "<p class=\"muted\">No wallet yet (0).</p>" :
            "<ul class=\"balances\">" + string.Join("", balances.Select(b => $"<li class=\"big\" data-currency=\"{E(b.Currency)}\">{E(Currencies.Format(b.AmountMinor, b.Currency))}</li>")) + "</ul>");
        if (DashboardAuth.Allows(http.User, DashboardAuth.Owner))
        {
            sb.Append($"""
                <form method="post" action="/admin/users/{id}/adjust" class="filters">{Csrf(http)}
                  <input name="amount" required inputmode="decimal" placeholder="+10.00 or -5" aria-label="Amount">
                  <input name="currency" value="{E(Currencies.Normalize(shop.Value.Currency))}" size="4" aria-label="Currency">
                  <input name="reason" required maxlength="500" placeholder="Reason (required)" aria-label="Reason">
                  <button class="btn" type="submit">Adjust balance</button>
                </form>
                """);
        }
        sb.Append("</section><section class=\"card\"><h2>Ledger history</h2><div class=\"scroll\"><table><thead><tr><th>When</th><th>Kind</th><th>Amount</th><th>Description</th><th>By</th></tr></thead><tbody>");
        foreach (var m in movements)
            sb.Append($"<tr><td>{Time(m.At)}</td><td>{E(m.Kind)}</td><td class=\"num {(m.AmountMinor < 0 ? "neg" : "pos")}\">{E(Currencies.Format(m.AmountMinor, m.Currency))}</td>" +
                      $"<td>{E(m.Description)}{(m.Reason is null ? "" : $"<div class=\"muted small\">{E(m.Reason)}</div>")}</td><td>{E(m.CreatedBy)}</td></tr>");
        if (movements.Count == 0) sb.Append("<tr><td colspan=\"5\" class=\"muted\">No movements.</td></tr>");
        sb.Append("</tbody></table></div></section><section class=\"card\"><h2>Payments</h2><div class=\"scroll\"><table><thead><tr><th>#</th><th>Method</th><th>Amount</th><th>Status</th><th>Created</th></tr></thead><tbody>");
        foreach (var p in payments)
            sb.Append($"<tr><td>{p.Id}</td><td>{E(p.Method.WireName())}</td><td class=\"num\">{E(Currencies.Format(p.Amount, p.Currency))}</td><td>{Badge(p.Status.ToString())}</td><td>{Time(p.CreatedAt)}</td></tr>");
        if (payments.Count == 0) sb.Append("<tr><td colspan=\"5\" class=\"muted\">No payments.</td></tr>");
        sb.Append($"</tbody></table></div><p><a href=\"/admin/payments?userId={id}\">All payments</a> · <a href=\"/admin/events?userId={E(u.ExternalId)}\">Event log</a></p></section>");
        await AppendOrdersAsync(sb, db, id, ct);
        await AppendReferralsAsync(sb, db, referrals, id, ct);
        await AppendGiveawaysAsync(sb, db, id, ct);
        return Page(http, u.DisplayName, "users", sb.ToString());
    }

    public static async Task<IResult> Adjust(long id, HttpContext http, BazaarDb db, Ledger ledger, AuditLog audit, IOptions<ShopCurrencyOptions> shop, CancellationToken ct)
    {
        var back = $"/admin/users/{id}";
        var form = await http.Request.ReadFormOrBadRequestAsync(ct);
        var reason = form["reason"].ToString().Trim();
        var currency = Currencies.Normalize(form["currency"] is { Count: > 0 } c && c.ToString().Trim().Length > 0 ? c.ToString() : shop.Value.Currency);
        if (reason.Length is 0 or > 500) return RedirectWith(http, back, "An adjustment needs a reason of 1 to 500 characters.", error: true);
        if (!Currencies.IsKnown(currency)) return RedirectWith(http, back, $"{currency} is not a known currency.", error: true);
        if (!decimal.TryParse(form["amount"].ToString().Replace(',', '.').Replace("+", ""), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint,
                CultureInfo.InvariantCulture, out var amount) || !Currencies.TryToMinor(amount, currency, out var minor) || minor == 0)
            return RedirectWith(http, back, $"Type a non-zero amount with at most {Currencies.Scale(currency)} decimals, e.g. 10.50 or -5.", error: true);
        if (!await db.Users.AnyAsync(u => u.Id == id, ct)) return RedirectWith(http, "/admin/users", $"There is no user {id}.", error: true);
        var before = await ledger.BalanceAsync(id, currency, ct);
        var result = await ledger.PostAsync(new Posting("adjustment", currency,
            [new Leg(AccountRef.OperatorAdjustments, -minor), new Leg(AccountRef.Wallet(id), minor)])
        {
            Reason = reason, CreatedBy = $"dashboard:{DashboardAuth.Actor(http.User)}", Description = "Operator adjustment",
        }, ct);
        if (result.Error == PostError.InsufficientFunds)
            return RedirectWith(http, back, $"The wallet holds {Currencies.Format(before, currency)}, not enough for this debit. Nothing changed.", error: true);
        if (!result.Ok) return RedirectWith(http, back, $"The adjustment was refused ({result.Error}).", error: true);
        var after = await ledger.BalanceAsync(id, currency, ct);
        await audit.WriteAsync("wallet.adjust", $"user:{id}", new { balance = Currencies.Format(before, currency) },
            new { balance = Currencies.Format(after, currency), amount = Currencies.Format(minor, currency), reason, transaction = result.TransactionId }, ct);
        return RedirectWith(http, back, $"Balance adjusted by {Currencies.Format(minor, currency)}; it is now {Currencies.Format(after, currency)}.");
    }

    public static async Task<IResult> Block(long id, HttpContext http, BazaarDb db, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        var back = $"/admin/users/{id}";
        var form = await http.Request.ReadFormOrBadRequestAsync(ct);
        var reason = form["reason"].ToString().Trim();
        if (reason.Length is 0 or > 500) return RedirectWith(http, back, "Say why, in 1 to 500 characters.", error: true);
        if (!await db.Users.AnyAsync(u => u.Id == id, ct)) return RedirectWith(http, "/admin/users", $"There is no user {id}.", error: true);
        db.UserBans.Add(new UserBan { UserId = id, Reason = reason, By = DashboardAuth.Actor(http.User), At = clock.GetUtcNow().UtcDateTime });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e))
        {
            return RedirectWith(http, back, $"User {id} is already blocked.", error: true);
        }
        await audit.WriteAsync("user.block", $"user:{id}", new { blocked = false }, new { blocked = true, reason }, ct);
        return RedirectWith(http, back, $"User {id} is blocked: the bot handles nothing of theirs now.");
    }

    public static async Task<IResult> Unblock(long id, HttpContext http, BazaarDb db, AuditLog audit, CancellationToken ct)
    {
        var back = $"/admin/users/{id}";
        var ban = await db.UserBans.AsNoTracking().FirstOrDefaultAsync(b => b.UserId == id, ct);
        if (ban is null || await db.UserBans.Where(b => b.UserId == id).ExecuteDeleteAsync(ct) == 0)
            return RedirectWith(http, back, $"User {id} is not blocked.", error: true);
        await audit.WriteAsync("user.unblock", $"user:{id}", new { blocked = true, reason = ban.Reason, by = ban.By }, new { blocked = false }, ct);
        return RedirectWith(http, back, $"User {id} is unblocked.");
    }

    private static async Task AppendOrdersAsync(StringBuilder sb, BazaarDb db, long id, CancellationToken ct)
    {
        var orders = await db.Orders.AsNoTracking().Where(o => o.UserId == id).OrderByDescending(o => o.Id).Take(20).ToListAsync(ct);
        sb.Append("<section class=\"card\" id=\"orders\"><h2>Orders</h2><div class=\"scroll\"><table><thead><tr><th>#</th><th>Product</th><th>Price</th><th>Paid with</th><th>Status</th><th>When</th></tr></thead><tbody>");
        foreach (var o in orders)
            sb.Append($"<tr><td>{o.Id}</td><td><a href=\"/admin/shop/products/{o.ProductId}\">{E(o.ProductName)}</a></td><td class=\"num\">{E(Currencies.Format(o.FinalPrice, o.Currency))}" +
                      $"{(o.DiscountPercent > 0 ? $" <s class=\"muted\">{E(Currencies.Format(o.OriginalPrice, o.Currency))}</s>" : "")}</td><td>{E(o.PaidWith)}</td><td>{Badge(o.Status)}</td><td>{Time(o.CreatedAt)}</td></tr>");
        if (orders.Count == 0) sb.Append("<tr><td colspan=\"6\" class=\"muted\">No orders.</td></tr>");
        sb.Append($"</tbody></table></div><p><a href=\"/admin/shop/orders?userId={id}\">All orders</a></p></section>");
    }

    private static async Task AppendReferralsAsync(StringBuilder sb, BazaarDb db, ReferralStats referrals, long id, CancellationToken ct)
    {
        var r = await referrals.SummaryAsync(id, ct);
        var referrer = await (from x in db.Referrals where x.RefereeId == id join u in db.Users on x.ReferrerId equals u.Id
                              select new { u.Id, u.FirstName, u.Username, x.LinkedAt }).FirstOrDefaultAsync(ct);
        var invited = await (from x in db.Referrals where x.ReferrerId == id join u in db.Users on x.RefereeId equals u.Id
                             orderby x.LinkedAt descending
                             select new { u.Id, u.FirstName, u.Username, x.LinkedAt, x.ActivatedAt }).Take(50).ToListAsync(ct);
        var ids = invited.Select(i => i.Id).ToList();
        var earned = await db.ReferralCommissions.AsNoTracking().Where(c => c.ReferrerId == id && ids.Contains(c.RefereeId) && c.Currency == r.Currency)
            .GroupBy(c => c.RefereeId).Select(g => new { g.Key, Sum = g.Sum(c => c.Amount - c.ReversedAmount) }).ToDictionaryAsync(x => x.Key, x => x.Sum, ct);
        string Name(string first, string? username) => E(first) + (username is null ? "" : $" <span class=\"muted\">@{E(username)}</span>");
        sb.Append($"""
            <section class="card" id="referrals"><h2>Referrals</h2>
            <p>Code <code>{E(r.Code)}</code> · invited <b>{r.Invited}</b>, active <b>{r.Active}</b> · earned <b>{E(Currencies.Format(r.EarnedMinor, r.Currency))}</b>
              ({E(Currencies.Format(r.EarnedThisMonthMinor, r.Currency))} this month) · tier {E(r.Tier.Label(Conversations.Languages.English))}</p>
            <p class="muted">{(referrer is null ? "Not invited by anyone." : $"Invited by <a href=\"/admin/users/{referrer.Id}\">{Name(referrer.FirstName, referrer.Username)}</a> {Time(referrer.LinkedAt)}")}</p>
            <div class="scroll"><table><thead><tr><th>Invited user</th><th>Linked</th><th>Active since</th><th>Commission</th></tr></thead><tbody>
            """);
        foreach (var i in invited)
            sb.Append($"<tr><td><a href=\"/admin/users/{i.Id}\">{Name(i.FirstName, i.Username)}</a></td><td>{Time(i.LinkedAt)}</td><td>{Time(i.ActivatedAt)}</td>" +
                      $"<td class=\"num\">{E(Currencies.Format(earned.GetValueOrDefault(i.Id), r.Currency))}</td></tr>");
        if (invited.Count == 0) sb.Append("<tr><td colspan=\"4\" class=\"muted\">Nobody invited yet.</td></tr>");
        sb.Append("</tbody></table></div></section>");
    }

    private static async Task AppendGiveawaysAsync(StringBuilder sb, BazaarDb db, long id, CancellationToken ct)
    {
        var joined = await (from p in db.GiveawayParticipants where p.UserId == id join g in db.Giveaways on p.GiveawayId equals g.Id
                            orderby p.JoinedAt descending
                            select new { g.Id, g.Title, g.Status, p.JoinedAt, Number = p.Id }).Take(50).ToListAsync(ct);
        var won = await db.GiveawayWinners.AsNoTracking().Where(w => w.UserId == id).Select(w => new { w.GiveawayId, w.Delivery }).ToListAsync(ct);
        sb.Append($"<section class=\"card\" id=\"giveaways\"><h2>Giveaways</h2><p>Joined <b>{joined.Count}</b> · won <b>{won.Count}</b></p>" +
                  "<div class=\"scroll\"><table><thead><tr><th>Giveaway</th><th>Status</th><th>Participant no.</th><th>Joined</th><th>Result</th></tr></thead><tbody>");
        foreach (var j in joined)
        {
            var w = won.FirstOrDefault(x => x.GiveawayId == j.Id);
            var result = w is not null ? $"{Badge("WON")} <span class=\"muted small\">told: {E(w.Delivery.ToString().ToLowerInvariant())}</span>"
                : j.Status == Giveaways.GiveawayStatus.Drawn ? "<span class=\"muted\">not won</span>" : "<span class=\"muted\">—</span>";
            sb.Append($"<tr><td><a href=\"/admin/giveaways/{j.Id}\">{E(j.Title)}</a></td><td>{Badge(j.Status.ToString())}</td><td>{j.Number}</td><td>{Time(j.JoinedAt)}</td><td>{result}</td></tr>");
        }
        if (joined.Count == 0) sb.Append("<tr><td colspan=\"5\" class=\"muted\">No giveaways joined.</td></tr>");
        sb.Append("</tbody></table></div></section>");
    }
}
