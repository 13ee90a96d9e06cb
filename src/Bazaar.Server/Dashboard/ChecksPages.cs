using System.Globalization;
using System.Text;
using Bazaar.Server.Checks;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using static Bazaar.Server.Dashboard.ApiCalls;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

/// <summary>Paid checks: the tariffs editor, and the queue with progress, retry and cancel, through the checks' own API and queue.</summary>
internal static class ChecksPages
{
    private static string Opt(string value, string label, string? selected) =>
        $"<option value=\"{E(value)}\"{(string.Equals(selected, value, StringComparison.OrdinalIgnoreCase) ? " selected" : "")}>{E(label)}</option>";

    public static async Task<IResult> Show(HttpContext http, BazaarDb db, CheckQueue queue, IOptions<ShopCurrencyOptions> shop, CancellationToken ct,
        string? status = null, long? userId = null, int page = 1)
    {
        var canEdit = DashboardAuth.Allows(http.User, DashboardAuth.Manage);
        var dis = canEdit ? "" : " disabled";
        var tariffs = (await TariffsApi.List(db, ct)).Value!;
        var sb = new StringBuilder("<section class=\"card\" id=\"tariffs\"><h2>Tariffs</h2><p class=\"muted small\">What customers can buy with /buy: credits per check, price, optional Telegram Stars price. Payments already made keep their price.</p>");
        string TariffForm(TariffsApi.TariffView? t) => $"""
            <form method="post" action="/admin/checks/tariffs{(t is null ? "" : $"/{t.Id}")}" class="form-grid tariff"{(t is null ? "" : $" data-tariff=\"{t.Id}\"")}>
              {Csrf(http)}
              <label>Name <input name="name" required maxlength="100" value="{E(t?.Name)}"{dis}></label>
              <label>Credits <input name="credits" type="number" min="1" required value="{t?.Credits}"{dis}></label>
              <label>Price ({E(t?.Currency ?? Currencies.Normalize(shop.Value.Currency))}) <input name="price" inputmode="decimal" required value="{E(t?.Price.ToString(CultureInfo.InvariantCulture))}"{dis}></label>
              <label>Stars price <input name="stars" type="number" min="1" value="{t?.StarsPrice}"{dis}></label>
              <label>Order <input name="sort" type="number" value="{t?.SortOrder ?? 0}"{dis}></label>
              <label class="inline-label"><input name="isActive" type="checkbox"{(t?.IsActive ?? true ? " checked" : "")}{dis}> on sale</label>
              {(canEdit ? $"<div><button class=\"btn{(t is null ? " btn-primary" : "")}\" type=\"submit\">{(t is null ? "+ Add tariff" : "Save")}</button></div>" : "")}
            </form>
            """;
        foreach (var t in tariffs) sb.Append(TariffForm(t));
        if (tariffs.Count == 0) sb.Append("<p class=\"muted\">No tariffs yet: customers cannot buy checks.</p>");
        if (canEdit) sb.Append("<h2>New tariff</h2>").Append(TariffForm(null));
        sb.Append("</section>");

        page = Math.Max(1, page);
        var q = db.Checks.AsNoTracking();
        if (Enum.TryParse<CheckStatus>(status, true, out var st)) q = q.Where(c => c.Status == st);
        if (userId is { } uid) q = q.Where(c => c.UserId == uid);
        var total = await q.CountAsync(ct);
        var rows = await q.OrderByDescending(c => c.Id).Skip((page - 1) * 50).Take(50).ToListAsync(ct);
        var running = rows.Where(c => c.Status == CheckStatus.Running).Select(c => c.Id).ToList();
        var read = await db.CheckAccounts.Where(a => running.Contains(a.CheckId)).GroupBy(a => a.CheckId)
            .Select(g => new { g.Key, N = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.N, ct);
        var names = await PaymentsPages.Names(db, rows.Select(c => c.UserId), ct);
        sb.Append($"""
            <section class="card" id="queue"><h2>Queue</h2>
              <form method="get" class="filters" aria-label="Filter checks">
                <select name="status" aria-label="Status">{Opt("", "any status", status)}{string.Join("", Enum.GetValues<CheckStatus>().Select(s => Opt(s.ToString(), s.ToString().ToLowerInvariant(), status)))}</select>
                <input name="userId" inputmode="numeric" placeholder="user id" value="{E(userId)}" aria-label="User id">
                <button class="btn" type="submit">Filter</button>
              </form>
              <div class="scroll"><table><thead><tr><th>#</th><th>Customer</th><th>Account</th><th>Status</th><th>Progress</th><th>Created</th><th>Result</th><th></th></tr></thead><tbody>
            """);
        foreach (var c in rows)
        {
            var progress = c.Status switch
            {
                CheckStatus.Queued => await queue.PositionAsync(c, ct) is { } pos ? $"place {pos} in line" : "waiting",
                CheckStatus.Running => $"{read.GetValueOrDefault(c.Id)} accounts read, since {c.StartedAt:HH:mm}",
                CheckStatus.Completed => "<div class=\"progress\" role=\"progressbar\" aria-valuenow=\"100\"><span style=\"width:100%\"></span></div>",
                _ => "",
            };
            var result = c.Status switch
            {
                CheckStatus.Completed => $"{c.Mutual} mutual · {c.NotFollowingBack} not following back · <a href=\"/admin/checks/{c.Id}/report.xlsx\">XLSX</a>",
                CheckStatus.Failed or CheckStatus.Cancelled => $"<span class=\"small\">{E(c.FailureReason)}</span>{(c.Refunded ? " <span class=\"badge badge-muted\">CREDIT REFUNDED</span>" : "")}",
                _ => "",
            };
            var actions = !canEdit ? "" : c.Status switch
            {
                CheckStatus.Queued => Button(http, $"/admin/checks/{c.Id}/cancel", "Cancel", "btn btn-small btn-danger", "Cancel this check? The customer gets the credit back."),
                CheckStatus.Failed or CheckStatus.Cancelled => Button(http, $"/admin/checks/{c.Id}/retry", "Retry", "btn btn-small", "Run this check again as a new check? It spends one of the customer's credits."),
                _ => "",
            };
            sb.Append($"<tr data-check=\"{c.Id}\"><td>{c.Id}</td><td><a href=\"/admin/users/{c.UserId}\">{E(names.GetValueOrDefault(c.UserId, $"user {c.UserId}"))}</a></td>" +
                      $"<td>{(c.Target is null ? "" : "@" + E(c.Target))} <span class=\"muted small\">{E(CheckWords.Source(c.Source))}</span></td><td>{Badge(c.Status.ToString())}</td>" +
                      $"<td>{progress}</td><td>{Time(c.CreatedAt)}</td><td>{result}</td><td>{actions}</td></tr>");
        }
        if (rows.Count == 0) sb.Append("<tr><td colspan=\"8\" class=\"muted\">No checks match.</td></tr>");
        sb.Append($"</tbody></table></div>{Pager(http.Request, page, 50, total)}</section>");
        return Page(http, "Paid checks", "checks", sb.ToString());
    }

    private static TariffsApi.TariffRequest Request(IFormCollection f) =>
        new(Text(f, "name"), Long(f, "credits") ?? 0, Decimal(f, "price") ?? 0, null, Long(f, "stars"), Check(f, "isActive"), Int(f, "sort") ?? 0);

    public static async Task<IResult> CreateTariff(HttpContext http, BazaarDb db, IOptions<ShopCurrencyOptions> shop, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var f = await http.Request.ReadFormOrBadRequestAsync(ct);
        var result = await TariffsApi.Create(Request(f), db, shop, clock, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, "/admin/checks#tariffs", problem, error: true);
        var t = Value<TariffsApi.TariffView>(result)!;
        await audit.WriteAsync("checks.tariff_create", $"tariff:{t.Id}", null, t, ct);
        return RedirectWith(http, "/admin/checks#tariffs", $"Tariff \"{t.Name}\" added.");
    }

    public static async Task<IResult> UpdateTariff(long id, HttpContext http, BazaarDb db, IOptions<ShopCurrencyOptions> shop, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var f = await http.Request.ReadFormOrBadRequestAsync(ct);
        var before = (await TariffsApi.List(db, ct)).Value!.FirstOrDefault(t => t.Id == id);
        var req = Request(f);
        var result = await TariffsApi.Update(id, req, db, shop, clock, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, "/admin/checks#tariffs", problem, error: true);
        var t = Value<TariffsApi.TariffView>(result)!;
        await audit.WriteAsync("checks.tariff_update", $"tariff:{id}", before, t, ct);
        return RedirectWith(http, "/admin/checks#tariffs", $"Tariff \"{t.Name}\" saved{(t.IsActive ? "" : " (not on sale)")}.");
    }

    public static async Task<IResult> Cancel(long id, HttpContext http, BazaarDb db, CheckQueue queue, AuditLog audit, CancellationToken ct)
    {
        var c = await db.Checks.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (c is null) return RedirectWith(http, "/admin/checks#queue", $"There is no check {id}.", error: true);
        if (!await queue.CancelAsync(c.UserId, id, ct))
            return RedirectWith(http, "/admin/checks#queue", $"Check {id} is no longer waiting in line, so it cannot be cancelled.", error: true);
        await audit.WriteAsync("checks.cancel", $"check:{id}", new { status = c.Status.ToString() }, new { status = "Cancelled", refunded = true }, ct);
        return RedirectWith(http, "/admin/checks#queue", $"Check {id} cancelled; the customer got the credit back.");
    }

    /// <summary>A failed or cancelled check runs again as a new check for the same customer and account, as the API would start it.</summary>
    public static async Task<IResult> Retry(long id, HttpContext http, BazaarDb db, CheckQueue queue, IOptions<ChecksOptions> options, AuditLog audit, CancellationToken ct)
    {
        var c = await db.Checks.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (c is null) return RedirectWith(http, "/admin/checks#queue", $"There is no check {id}.", error: true);
        if (c.Status is not (CheckStatus.Failed or CheckStatus.Cancelled))
            return RedirectWith(http, "/admin/checks#queue", $"Check {id} is {c.Status.ToString().ToLowerInvariant()}; only a failed or cancelled check is retried.", error: true);
        var result = await ChecksApi.Start(new ChecksApi.StartCheckRequest(c.UserId, c.Target, c.Source == CheckSource.Export ? c.FileId : null), db, queue, options, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, "/admin/checks#queue", problem, error: true);
        var started = Value<ChecksApi.CheckView>(result)!;
        await audit.WriteAsync("checks.retry", $"check:{id}", new { status = c.Status.ToString() }, new { newCheck = started.Id }, ct);
        return RedirectWith(http, "/admin/checks#queue", $"Check {id} is running again as check {started.Id}{(started.Position is { } p ? $", place {p} in line" : "")}.");
    }

    public static async Task<IResult> Report(long id, BazaarDb db, CancellationToken ct)
    {
        var result = await ChecksApi.Report(id, db, ct);
        return Problem(result) is { } problem ? Results.NotFound(problem) : result;
    }
}
