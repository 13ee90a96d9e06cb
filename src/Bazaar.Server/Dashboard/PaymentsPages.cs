using Bazaar.Server.Hosting;
using System.Text;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Telegram.Bot;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

/// <summary>Deposits to approve with their proof, payments by method and status, Stars refunds, the ledger check.</summary>
internal static class PaymentsPages
{
    public static async Task<IResult> Show(HttpContext http, BazaarDb db, CancellationToken ct,
        string? method = null, string? status = null, long? userId = null, int page = 1)
    {
        var pending = await db.Payments.AsNoTracking()
            .Where(PaymentMethods.IsManualTransfer).Where(p => p.Status == PaymentStatus.Pending)
            .OrderBy(p => p.ProofAt == null).ThenBy(p => p.Id).Take(50).ToListAsync(ct);
        var names = await Names(db, pending.Select(p => p.UserId), ct);
        var sb = new StringBuilder("<section class=\"card\" id=\"deposits\"><h2>Deposits awaiting approval</h2>");
        if (pending.Count == 0) sb.Append("<p class=\"muted\">Nothing to approve.</p>");
        sb.Append("<div class=\"deposits\">");
        foreach (var p in pending)
        {
            var proof = p.ProofFileId is null
                ? "<p class=\"muted\">No proof sent yet.</p>"
                : p.ProofKind == "photo"
                    ? $"<a href=\"/admin/payments/{p.Id}/proof\" target=\"_blank\"><img class=\"proof\" src=\"/admin/payments/{p.Id}/proof\" alt=\"Transfer proof of deposit {p.Id}\" loading=\"lazy\"></a>"
                    : $"<p><a href=\"/admin/payments/{p.Id}/proof\" target=\"_blank\">Open the proof ({E(p.ProofKind)})</a></p>";
            sb.Append($"""
                <article class="deposit" data-payment="{p.Id}">
                  <div><b>{E(Currencies.Format(p.Amount, p.Currency))}</b> · {E(p.Method.WireName())} · <code>{E(p.Reference)}</code></div>
                  <div class="muted"><a href="/admin/users/{p.UserId}">{E(names.GetValueOrDefault(p.UserId, $"user {p.UserId}"))}</a> · {Time(p.CreatedAt)}</div>
                  {proof}
                  <div class="actions">
                    {Button(http, $"/admin/deposits/{p.Id}/approve", "✅ Approve", "btn btn-primary", $"Credit {Currencies.Format(p.Amount, p.Currency)} to this wallet?")}
                    <form method="post" action="/admin/deposits/{p.Id}/reject" class="inline reject">
                      {Csrf(http)}<input name="reason" required maxlength="500" placeholder="Reason the user is told">
                      <button class="btn btn-danger" type="submit">❌ Reject</button>
                    </form>
                  </div>
                </article>
                """);
        }
        sb.Append("</div></section>");

        var counts = await db.Payments.AsNoTracking().GroupBy(p => new { p.Method, p.Status })
            .Select(g => new { g.Key.Method, g.Key.Status, N = g.Count() }).ToListAsync(ct);
        var statuses = Enum.GetValues<PaymentStatus>();
        sb.Append("<section class=\"card\"><h2>Payments by method and status</h2><div class=\"scroll\"><table><thead><tr><th>Method</th>");
        foreach (var s in statuses) sb.Append($"<th>{E(s.ToString().ToUpperInvariant())}</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var m in Enum.GetValues<PaymentMethod>())
        {
            sb.Append($"<tr><td>{E(m.WireName())}</td>");
            foreach (var s in statuses)
            {
                var n = counts.Where(c => c.Method == m && c.Status == s).Sum(c => c.N);
                sb.Append(n == 0 ? "<td class=\"muted\">0</td>" : $"<td><a href=\"/admin/payments?method={m.WireName()}&status={s}\">{n}</a></td>");
            }
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table></div></section>");

        var q = db.Payments.AsNoTracking();
        if (PaymentMethods.TryParse(method, out var pm)) q = q.Where(p => p.Method == pm);
        if (Enum.TryParse<PaymentStatus>(status, true, out var ps)) q = q.Where(p => p.Status == ps);
        if (userId is { } uid) q = q.Where(p => p.UserId == uid);
        page = Math.Max(1, page);
        var total = await q.CountAsync(ct);
        var rows = await q.OrderByDescending(p => p.Id).Skip((page - 1) * 50).Take(50).ToListAsync(ct);
        var canRefund = DashboardAuth.Allows(http.User, DashboardAuth.Manage);
        sb.Append($"""
            <section class="card"><h2>Payments</h2>
            <form method="get" class="filters">
              <select name="method"><option value="">any method</option>{string.Join("", Enum.GetValues<PaymentMethod>().Select(m => $"<option{(method == m.WireName() ? " selected" : "")}>{m.WireName()}</option>"))}</select>
              <select name="status"><option value="">any status</option>{string.Join("", statuses.Select(s => $"<option{(string.Equals(status, s.ToString(), StringComparison.OrdinalIgnoreCase) ? " selected" : "")}>{s}</option>"))}</select>
              <input name="userId" inputmode="numeric" placeholder="user id" value="{E(userId)}">
              <button class="btn" type="submit">Filter</button>
            </form>
            <div class="scroll"><table><thead><tr><th>#</th><th>User</th><th>Method</th><th>Amount</th><th>Status</th><th>Created</th><th></th></tr></thead><tbody>
            """);
        foreach (var p in rows)
        {
            var action = canRefund && p.Method == PaymentMethod.Stars && p.Status == PaymentStatus.Completed
                ? Button(http, $"/admin/payments/{p.Id}/refund", "Refund", "btn btn-small btn-danger", $"Refund payment {p.Id} in Telegram Stars and take it back from the wallet?")
                : "";
            sb.Append($"<tr><td>{p.Id}</td><td><a href=\"/admin/users/{p.UserId}\">{p.UserId}</a></td><td>{E(p.Method.WireName())}</td>" +
                      $"<td class=\"num\">{E(Currencies.Format(p.Amount, p.Currency))}</td><td>{Badge(p.Status.ToString())}" +
                      $"{(p.StatusReason is null ? "" : $"<div class=\"muted small\">{E(p.StatusReason)}</div>")}</td><td>{Time(p.CreatedAt)}</td><td>{action}</td></tr>");
        }
        sb.Append($"</tbody></table></div>{Pager(http.Request, page, 50, total)}</section>");
        sb.Append("<p><a class=\"btn\" href=\"/admin/ledger\">Verify the ledger</a></p>");
        return Page(http, "Payments", "payments", sb.ToString());
    }

    public static async Task<Dictionary<long, string>> Names(BazaarDb db, IEnumerable<long> ids, CancellationToken ct)
    {
        var set = ids.Distinct().ToList();
        var users = await db.Users.AsNoTracking().Where(u => set.Contains(u.Id)).ToListAsync(ct);
        return users.ToDictionary(u => u.Id, u => u.DisplayName + (u.Username is null ? "" : $" (@{u.Username})"));
    }

    /// <summary>The proof image: fetched from Telegram by file id through the server, so the bot token never reaches the browser.</summary>
    public static async Task<IResult> Proof(long id, BazaarDb db, IServiceProvider services, ILoggerFactory logs, CancellationToken ct)
    {
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.ProofFileId != null, ct);
        if (p is null) return Results.NotFound();
        var channel = await db.Users.AsNoTracking().Where(u => u.Id == p.UserId).Select(u => u.Channel).FirstOrDefaultAsync(ct);
        if (channel != ChatChannel.Telegram) return Placeholder("Sent in the sandbox: the picture stays in the sender's browser.");
        var bot = services.GetService<ITelegramBotClient>();
        if (bot is null) return Placeholder("Telegram is not configured, so the proof cannot be fetched.");
        try
        {
            var file = await bot.GetFile(p.ProofFileId!, ct);
            if (file.FilePath is null) return Placeholder("Telegram has no file for this proof any more.");
            var ms = new MemoryStream();
            await bot.DownloadFile(file.FilePath, ms, ct);
            ms.Position = 0;
            var type = Path.GetExtension(file.FilePath).ToLowerInvariant() switch
            {
                ".png" => "image/png", ".jpg" or ".jpeg" => "image/jpeg", ".webp" => "image/webp", ".pdf" => "application/pdf",
                _ => p.ProofKind == "photo" ? "image/jpeg" : "application/octet-stream",
            };
            return Results.Stream(ms, type);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logs.CreateLogger("Dashboard").LogWarning(e, "Could not fetch the proof of payment {PaymentId} from Telegram", id);
            return Placeholder("Telegram could not be reached for this proof; reload to try again.");
        }
    }

    internal static IResult Placeholder(string text) => Results.Content($"""
        <svg xmlns="http://www.w3.org/2000/svg" width="360" height="120" viewBox="0 0 360 120"><rect width="360" height="120" rx="8" fill="#8884"/>
        <foreignObject x="10" y="10" width="340" height="100"><div xmlns="http://www.w3.org/1999/xhtml" style="font:14px sans-serif;color:#888">{E(text)}</div></foreignObject></svg>
        """, "image/svg+xml");

    private static string By(HttpContext http) => $"dashboard:{DashboardAuth.Actor(http.User)}";

    public static async Task<IResult> Approve(long id, HttpContext http, ManualTransfers manual, BazaarDb db, AuditLog audit, CancellationToken ct)
    {
        var before = await db.Payments.AsNoTracking().Where(PaymentMethods.IsManualTransfer).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (before is null) return RedirectWith(http, "/admin/payments", $"There is no manual deposit {id}.", error: true);
        var r = await manual.ApproveAsync(id, By(http), ct);
        if (r.Outcome != CompleteOutcome.Completed)
            return RedirectWith(http, "/admin/payments", $"Deposit {id} is {r.Status?.ToString().ToUpperInvariant() ?? "not pending"}; nothing was credited.", error: true);
        await audit.WriteAsync("deposit.approve", $"payment:{id}", new { status = before.Status.ToString() },
            new { status = "Completed", credited = Currencies.Format(before.Amount, before.Currency), userId = before.UserId }, ct);
        return RedirectWith(http, "/admin/payments", $"Deposit {id} approved: {Currencies.Format(before.Amount, before.Currency)} credited to user {before.UserId}.");
    }

    public static async Task<IResult> Reject(long id, HttpContext http, ManualTransfers manual, BazaarDb db, AuditLog audit, CancellationToken ct)
    {
        var form = await http.Request.ReadFormOrBadRequestAsync(ct);
        var reason = form["reason"].ToString().Trim();
        if (reason.Length is 0 or > 500)
            return RedirectWith(http, "/admin/payments", "A rejection needs a reason of 1 to 500 characters; the user is told it.", error: true);
        var before = await db.Payments.AsNoTracking().Where(PaymentMethods.IsManualTransfer).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (before is null) return RedirectWith(http, "/admin/payments", $"There is no manual deposit {id}.", error: true);
        if (!await manual.RejectAsync(id, reason, By(http), ct))
            return RedirectWith(http, "/admin/payments", $"Deposit {id} is no longer pending.", error: true);
        await audit.WriteAsync("deposit.reject", $"payment:{id}", new { status = before.Status.ToString() }, new { status = "Failed", reason }, ct);
        return RedirectWith(http, "/admin/payments", $"Deposit {id} rejected; the user was told why.");
    }

    public static async Task<IResult> Refund(long id, HttpContext http, StarsPayments stars, AuditLog audit, CancellationToken ct)
    {
        var outcome = await stars.RefundAsync(id, By(http), ct);
        var (message, error) = outcome switch
        {
            RefundOutcome.Refunded => ($"Payment {id} refunded in Telegram Stars.", false),
            RefundOutcome.Pending => ($"Payment {id}: the refund is under way; Telegram did not answer yet and it will be retried.", false),
            RefundOutcome.NotFound => ($"There is no payment {id}.", true),
            RefundOutcome.NotRefundable => ("Only a completed Telegram Stars payment can be refunded.", true),
            RefundOutcome.InsufficientFunds => ("The wallet no longer holds the deposited amount; nothing was refunded.", true),
            _ => ("Telegram refused the refund; nothing changed.", true),
        };
        if (outcome is RefundOutcome.Refunded or RefundOutcome.Pending)
            await audit.WriteAsync("payment.refund", $"payment:{id}", new { status = "Completed" }, new { status = outcome == RefundOutcome.Refunded ? "Refunded" : "Refunding" }, ct);
        return RedirectWith(http, "/admin/payments?method=stars", message, error);
    }

    public static async Task<IResult> Ledger(HttpContext http, Ledger ledger, LedgerCheckStatus status, TimeProvider clock, CancellationToken ct)
    {
        var v = await ledger.VerifyAsync(ct);
        status.Last = (clock.GetUtcNow().UtcDateTime, v);
        var sb = new StringBuilder($"<section class=\"card\"><p>{Badge(v.Ok ? "OK" : "FAILED")} {v.Accounts} accounts, {v.Transactions} transactions, {v.Entries} entries checked.</p>");
        if (v.Mismatches.Count > 0)
        {
            sb.Append("<h2>Cached balances that differ from their entries</h2><table><tr><th>Account</th><th>Currency</th><th>Cached</th><th>Sum of entries</th></tr>");
            foreach (var m in v.Mismatches) sb.Append($"<tr><td>{E(m.Key)}</td><td>{E(m.Currency)}</td><td class=\"num\">{m.CachedBalance}</td><td class=\"num\">{m.SumOfEntries}</td></tr>");
            sb.Append("</table>");
        }
        if (v.Unbalanced.Count > 0)
        {
            sb.Append("<h2>Transactions that do not balance</h2><table><tr><th>Transaction</th><th>Currency</th><th>Sum</th></tr>");
            foreach (var u in v.Unbalanced) sb.Append($"<tr><td>{u.TransactionId}</td><td>{E(u.Currency)}</td><td class=\"num\">{u.Sum}</td></tr>");
            sb.Append("</table>");
        }
        if (v.NegativeWallets.Count > 0)
        {
            sb.Append("<h2>Negative wallets</h2><table><tr><th>Account</th><th>Currency</th><th>Balance</th></tr>");
            foreach (var n in v.NegativeWallets) sb.Append($"<tr><td>{E(n.Key)}</td><td>{E(n.Currency)}</td><td class=\"num\">{n.Balance}</td></tr>");
            sb.Append("</table>");
        }
        sb.Append("<p class=\"muted\">Amounts in minor units. The same check is <code>GET /api/v1/admin/ledger/verify</code>.</p></section>");
        return Page(http, "Ledger check", "payments", sb.ToString());
    }
}
