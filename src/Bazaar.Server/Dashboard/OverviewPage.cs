using System.Globalization;
using System.Text.Json;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Payments;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

/// <summary>The last ledger check's result, kept in this process so the overview need not re-run it on every load.</summary>
public sealed class LedgerCheckStatus
{
    public (DateTime At, Ledger.Verification Result)? Last { get; set; }
}

public sealed record DailySeries(IReadOnlyList<string> Days, IReadOnlyList<decimal> Revenue, IReadOnlyList<int> Orders, IReadOnlyList<decimal> Deposits, IReadOnlyList<int> NewUsers);

public sealed record PendingWork(int Deposits, int RaffleOrders, int FailedJobs, int FailedDeliveries, int FailedUpdates);

internal static class OverviewPage
{
    public const int Days = 30;

    public static async Task<DailySeries> SeriesAsync(BazaarDb db, string currency, DateTime now, CancellationToken ct)
    {
        var today = now.Date;
        var since = today.AddDays(-(Days - 1));
        var deposits = await db.Payments.AsNoTracking()
            .Where(p => p.Status == PaymentStatus.Completed && p.Purpose == PaymentPurpose.WalletTopup && p.Currency == currency && p.CompletedAt >= since)
            .Select(p => new { At = p.CompletedAt!.Value, p.Amount }).ToListAsync(ct);
        var salesKey = AccountRef.SalesRevenue.Key;
        var revenue = await (from e in db.LedgerEntries
                             join a in db.LedgerAccounts on e.AccountId equals a.Id
                             where a.Key == salesKey && a.Currency == currency && e.CreatedAt >= since
                             select new { At = e.CreatedAt, e.Amount }).ToListAsync(ct);
        var users = await db.Users.AsNoTracking().Where(u => u.CreatedAt >= since).Select(u => u.CreatedAt).ToListAsync(ct);
        // Shop orders and paid raffle orders, each counted on the day it was placed.
        var orders = await db.Orders.AsNoTracking().Where(o => o.CreatedAt >= since).Select(o => o.CreatedAt).ToListAsync(ct);
        var raffleOrders = await db.RaffleOrders.AsNoTracking().Where(o => o.Status == Raffles.RaffleOrderStatus.Paid && o.CreatedAt >= since)
            .Select(o => o.CreatedAt).ToListAsync(ct);
        orders.AddRange(raffleOrders);
        var days = Enumerable.Range(0, Days).Select(i => since.AddDays(i)).ToList();
        return new DailySeries(
            days.Select(d => d.ToString("MM-dd", CultureInfo.InvariantCulture)).ToList(),
            days.Select(d => Currencies.ToMajor(revenue.Where(r => r.At.Date == d).Sum(r => r.Amount), currency)).ToList(),
            days.Select(d => orders.Count(o => o.Date == d)).ToList(),
            days.Select(d => Currencies.ToMajor(deposits.Where(r => r.At.Date == d).Sum(r => r.Amount), currency)).ToList(),
            days.Select(d => users.Count(u => u.Date == d)).ToList());
    }

    public static async Task<PendingWork> PendingAsync(BazaarDb db, CancellationToken ct) => new(
        await db.Payments.Where(PaymentMethods.IsManualTransfer).CountAsync(p => p.Status == PaymentStatus.Pending && p.ProofFileId != null, ct),
        await db.RaffleOrders.CountAsync(o => o.Status == Raffles.RaffleOrderStatus.PendingPayment && o.ProofPath != null, ct),
        await db.Jobs.CountAsync(j => j.Status == JobStatus.Failed, ct),
        await db.Outbox.CountAsync(m => m.Status == OutboxStatus.Failed, ct),
        await db.InboundUpdates.CountAsync(u => u.Status == UpdateStatus.Failed, ct));

    public static async Task<IResult> Show(HttpContext http, BazaarDb db, TimeProvider clock, IOptions<ShopCurrencyOptions> shop,
        LedgerCheckStatus ledger, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var currency = Currencies.Normalize(shop.Value.Currency);
        var s = await SeriesAsync(db, currency, now, ct);
        var today = now.Date;
        var depToday = await db.Payments.AsNoTracking()
            .Where(p => p.Status == PaymentStatus.Completed && p.Purpose == PaymentPurpose.WalletTopup && p.Currency == currency && p.CompletedAt >= today)
            .Select(p => p.Amount).ToListAsync(ct);
        var usersToday = await db.Users.CountAsync(u => u.CreatedAt >= today, ct);
        var updatesToday = await db.InboundUpdates.CountAsync(u => u.ReceivedAt >= today, ct);
        var json = JsonSerializer.Serialize(new
        {
            labels = s.Days,
            series = new object[]
            {
                new { id = "revenue", label = $"Revenue ({currency})", data = s.Revenue },
                new { id = "orders", label = "Orders", data = s.Orders },
                new { id = "deposits", label = $"Deposits ({currency})", data = s.Deposits },
                new { id = "users", label = "New users", data = s.NewUsers },
            },
        });
        var body = $"""
            <section class="tiles">
              <div class="tile"><div class="muted">Revenue today</div><div class="big">{E(s.Revenue[^1].ToString(CultureInfo.InvariantCulture) + " " + currency)}</div></div>
              <div class="tile"><div class="muted">Orders today</div><div class="big">{s.Orders[^1]}</div></div>
              <div class="tile"><div class="muted">Deposits today</div><div class="big">{depToday.Count} · {E(Currencies.Format(depToday.Sum(), currency))}</div></div>
              <div class="tile"><div class="muted">New users today</div><div class="big">{usersToday}</div></div>
              <div class="tile"><div class="muted">Updates today</div><div class="big">{updatesToday}</div></div>
            </section>
            <section class="card">
              <h2>Pending work</h2>
              <div id="pending" hx-get="/admin/overview/pending" hx-trigger="every 15s" hx-swap="innerHTML">{PendingHtml(await PendingAsync(db, ct), ledger)}</div>
            </section>
            <section class="charts">
              <div class="card"><h2>Revenue per day</h2><canvas id="chart-revenue" data-chart="revenue" height="180"></canvas></div>
              <div class="card"><h2>Orders per day</h2><canvas id="chart-orders" data-chart="orders" height="180"></canvas></div>
              <div class="card"><h2>Deposits per day</h2><canvas id="chart-deposits" data-chart="deposits" height="180"></canvas></div>
              <div class="card"><h2>New users per day</h2><canvas id="chart-users" data-chart="users" height="180"></canvas></div>
            </section>
            <p class="muted">The last {Days} days, UTC, in the shop currency {E(currency)}. Revenue is what the sales account received;
              orders are shop orders and paid raffle orders.</p>
            <script type="application/json" id="chart-data">{json.Replace("</", "<\\/")}</script>
            """;
        return Page(http, "Overview", "overview", body);
    }

    public static async Task<IResult> Pending(HttpContext http, BazaarDb db, LedgerCheckStatus ledger, CancellationToken ct) =>
        Results.Content(PendingHtml(await PendingAsync(db, ct), ledger), "text/html; charset=utf-8");

    private static string PendingHtml(PendingWork w, LedgerCheckStatus ledger)
    {
        string Row(string href, string label, int n) =>
            $"<li><a href=\"{href}\">{E(label)}</a> <span class=\"badge badge-{(n > 0 ? "warn" : "ok")}\">{n}</span></li>";
        var check = ledger.Last is { } l
            ? $"{Badge(l.Result.Ok ? "OK" : "FAILED")} checked {Time(l.At)}"
            : "<span class=\"badge badge-muted\">NOT RUN</span> since the server started";
        return "<ul class=\"pending\">" +
               Row("/admin/payments#deposits", "Deposits awaiting approval", w.Deposits) +
               Row("/admin/raffles/orders?status=PENDING_PAYMENT", "Raffle orders awaiting approval", w.RaffleOrders) +
               Row("/admin/jobs?status=failed", "Failed jobs", w.FailedJobs) +
               Row("/admin/outbox?status=failed", "Failed deliveries", w.FailedDeliveries) +
               Row("/admin/events?status=Failed", "Failed updates", w.FailedUpdates) +
               $"<li><a href=\"/admin/ledger\">Ledger check</a> {check}</li></ul>";
    }
}
