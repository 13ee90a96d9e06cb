using System.Net;
using Bazaar.Server.Admin;
using Bazaar.Server.Payments;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Dashboard;

/// <summary>The dashboard with Telegram Stars on, so a Stars payment can be refunded from the payments page.</summary>
public sealed class PaymentsPagesAppFactory : DashboardAppFactory
{
    public PaymentsPagesAppFactory()
    {
        With("Payments:Stars:Enabled", "true");
        With("Payments:Stars:StarsPerUnit", "50");
    }
}

/// <summary>Deposits rejected with a reason, Stars refunds and the ledger check, through the payments' own services.</summary>
public sealed class PaymentsPagesTests(PaymentsPagesAppFactory app) : IClassFixture<PaymentsPagesAppFactory>
{
    private Task<Payment> PaymentOf(long id) => app.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.Id == id));

    [Fact]
    public async Task A_deposit_is_rejected_only_with_a_reason_and_the_user_is_told_it()
    {
        var (userId, paymentId) = await app.PendingDepositAsync();
        var support = await app.SignedIn(OperatorRoles.Support);
        var page = await (await support.GetAsync("/admin/payments")).Content.ReadAsStringAsync();
        Assert.Contains($"action=\"/admin/deposits/{paymentId}/reject\"", page);
        Assert.Contains($"src=\"/admin/payments/{paymentId}/proof\"", page); // the proof is shown inline

        var noReason = await DashboardTestData.PostForm(support, $"/admin/deposits/{paymentId}/reject", new() { ["reason"] = "  " }, "/admin/payments");
        Assert.StartsWith("!", await DashboardTestData.FlashOrError(support, noReason));
        Assert.Equal(PaymentStatus.Pending, (await PaymentOf(paymentId)).Status);

        var r = await DashboardTestData.PostForm(support, $"/admin/deposits/{paymentId}/reject", new() { ["reason"] = "The amount <does not> match" }, "/admin/payments");
        Assert.Contains("rejected", await DashboardTestData.FlashOrError(support, r));
        var p = await PaymentOf(paymentId);
        Assert.Equal(PaymentStatus.Failed, p.Status);
        Assert.Equal("dashboard:support", p.DecidedBy);
        var user = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Id == userId));
        Assert.Contains(await app.TextsFor(long.Parse(user.ExternalId)), t => t.Contains("was rejected: The amount &lt;does not&gt; match"));
        Assert.Equal(0, await MoneyTestData.BalanceAsync(app, userId));

        // Decided once: a second rejection changes nothing.
        var again = await DashboardTestData.PostForm(support, $"/admin/deposits/{paymentId}/reject", new() { ["reason"] = "again" }, "/admin/payments");
        Assert.StartsWith("!", await DashboardTestData.FlashOrError(support, again));
        var audit = await app.WithDb(db => db.AuditLog.AsNoTracking().SingleAsync(a => a.Target == $"payment:{paymentId}"));
        Assert.Equal(("deposit.reject", "support", "support"), (audit.Action, audit.Actor, audit.ActorRole));
        Assert.Contains("\"reason\":\"The amount <does not> match\"", System.Text.RegularExpressions.Regex.Unescape(audit.After!));
    }

    [Fact]
    public async Task A_completed_Stars_payment_is_refunded_from_the_payments_page_once()
    {
        var user = await MoneyTestData.CreateUserAsync(app);
        using (var client = app.AdminClient())
        {
            var created = await client.PostJson("/api/v1/payments", new { userId = user.Id, method = "stars", amount = 2m, currency = "USD" });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var id = (await created.ReadJson()).GetProperty("id").GetInt64();
            var charge = "charge-" + Guid.NewGuid().ToString("N");
            await app.In(async sp => await sp.GetRequiredService<StarsPayments>().CompleteStarsPaymentAsync(charge, $"pay:{id}", 100, CancellationToken.None));
            Assert.Equal(2_00, await MoneyTestData.BalanceAsync(app, user.Id));

            var manager = await app.SignedIn(OperatorRoles.Manager);
            var list = await (await manager.GetAsync("/admin/payments?method=stars")).Content.ReadAsStringAsync();
            Assert.Contains($"action=\"/admin/payments/{id}/refund\"", list);
            // Support sees the payment but is offered no refund.
            var support = await app.SignedIn(OperatorRoles.Support);
            Assert.DoesNotContain($"/admin/payments/{id}/refund", await (await support.GetAsync("/admin/payments?method=stars")).Content.ReadAsStringAsync());

            var r = await DashboardTestData.PostForm(manager, $"/admin/payments/{id}/refund", tokenPage: "/admin/payments");
            Assert.Contains("refunded in Telegram Stars", await DashboardTestData.FlashOrError(manager, r));
            Assert.Equal(PaymentStatus.Refunded, (await PaymentOf(id)).Status);
            Assert.Equal(0, await MoneyTestData.BalanceAsync(app, user.Id));
            Assert.Single(app.Bot.CallsOf("refundStarPayment"), c => c.Str("telegram_payment_charge_id") == charge);

            var twice = await DashboardTestData.PostForm(manager, $"/admin/payments/{id}/refund", tokenPage: "/admin/payments");
            Assert.StartsWith("!", await DashboardTestData.FlashOrError(manager, twice));
            Assert.Single(app.Bot.CallsOf("refundStarPayment"), c => c.Str("telegram_payment_charge_id") == charge);
            Assert.Equal("payment.refund", (await app.WithDb(db => db.AuditLog.AsNoTracking().SingleAsync(a => a.Target == $"payment:{id}"))).Action);
        }
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task The_ledger_check_page_runs_the_ledgers_own_verification_and_the_overview_shows_its_result()
    {
        var support = await app.SignedIn(OperatorRoles.Support);
        var html = await (await support.GetAsync("/admin/ledger")).Content.ReadAsStringAsync();
        Assert.Contains("<span class=\"badge badge-ok\">OK</span>", html);
        using var client = app.AdminClient();
        var api = await (await client.GetAsync("/api/v1/admin/ledger/verify")).ReadJson();
        Assert.Contains($"{api.GetProperty("accounts").GetInt32()} accounts", html);
        var overview = await (await support.GetAsync("/admin/overview/pending")).Content.ReadAsStringAsync();
        Assert.Contains("/admin/ledger", overview);
    }
}
