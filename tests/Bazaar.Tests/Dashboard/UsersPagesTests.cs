using System.Net;
using Bazaar.Server.Admin;
using Bazaar.Server.Dashboard;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Dashboard;

/// <summary>Users: search, balance adjustments with a required reason through the ledger, block and unblock.</summary>
public sealed class UsersPagesTests(DashboardAppFactory app) : IClassFixture<DashboardAppFactory>
{
    [Fact]
    public async Task Users_are_found_by_id_telegram_id_or_username()
    {
        var u = await app.UserAsync("Searchable");
        var c = await app.SignedIn(OperatorRoles.Support);
        foreach (var q in new[] { u.Id.ToString(), u.ExternalId, "@" + u.Username })
        {
            var html = await (await c.GetAsync($"/admin/users?q={Uri.EscapeDataString(q)}")).Content.ReadAsStringAsync();
            Assert.Contains($"href=\"/admin/users/{u.Id}\"", html);
        }
        var none = await (await c.GetAsync("/admin/users?q=nobody-by-this-name")).Content.ReadAsStringAsync();
        Assert.DoesNotContain($"href=\"/admin/users/{u.Id}\"", none);
    }

    [Fact]
    public async Task The_owner_adjusts_a_balance_only_with_a_reason_and_the_profile_and_audit_show_it()
    {
        var u = await app.UserAsync("Adjusted");
        var owner = await app.SignedIn(OperatorRoles.Owner);
        var back = $"/admin/users/{u.Id}";

        var noReason = await DashboardTestData.PostForm(owner, $"{back}/adjust", new() { ["amount"] = "12.50", ["reason"] = "" }, back);
        Assert.Contains("needs a reason", await DashboardTestData.FlashOrError(owner, noReason));
        Assert.Equal(0, await MoneyTestData.BalanceAsync(app, u.Id));

        var credit = await DashboardTestData.PostForm(owner, $"{back}/adjust", new() { ["amount"] = "12.50", ["reason"] = "Goodwill for a late delivery" }, back);
        Assert.Contains("it is now 12.50 USD", await DashboardTestData.FlashOrError(owner, credit));
        Assert.Equal(12_50, await MoneyTestData.BalanceAsync(app, u.Id));
        var profile = await (await owner.GetAsync(back)).Content.ReadAsStringAsync();
        Assert.Contains("Goodwill for a late delivery", profile);

        // A debit past the balance is refused by the ledger and changes nothing.
        var tooMuch = await DashboardTestData.PostForm(owner, $"{back}/adjust", new() { ["amount"] = "-20", ["reason"] = "Correction" }, back);
        Assert.StartsWith("!", await DashboardTestData.FlashOrError(owner, tooMuch));
        Assert.Equal(12_50, await MoneyTestData.BalanceAsync(app, u.Id));

        var audit = await app.WithDb(db => db.AuditLog.AsNoTracking().SingleAsync(a => a.Target == $"user:{u.Id}" && a.Action == "wallet.adjust"));
        Assert.Equal("owner", audit.Actor);
        Assert.Contains("0.00 USD", audit.Before);
        Assert.Contains("Goodwill for a late delivery", audit.After);
        var auditPage = await (await owner.GetAsync($"/admin/audit?target=user:{u.Id}")).Content.ReadAsStringAsync();
        Assert.Contains("wallet.adjust", auditPage);
        Assert.Contains("Goodwill for a late delivery", auditPage);

        // A manager sees the profile without the adjustment form.
        var manager = await app.SignedIn(OperatorRoles.Manager);
        Assert.DoesNotContain($"action=\"{back}/adjust\"", await (await manager.GetAsync(back)).Content.ReadAsStringAsync());
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task A_blocked_user_gets_only_the_blocked_reply_until_unblocked()
    {
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/start"));
        var u = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(x => x.ExternalId == tg.ToString()));
        var manager = await app.SignedIn(OperatorRoles.Manager);
        var back = $"/admin/users/{u.Id}";

        var noReason = await DashboardTestData.PostForm(manager, $"{back}/block", new() { ["reason"] = "" }, back);
        Assert.StartsWith("!", await DashboardTestData.FlashOrError(manager, noReason));
        var blocked = await DashboardTestData.PostForm(manager, $"{back}/block", new() { ["reason"] = "Chargeback fraud" }, back);
        Assert.Contains("is blocked", await DashboardTestData.FlashOrError(manager, blocked));
        Assert.StartsWith("!", await DashboardTestData.FlashOrError(manager,
            await DashboardTestData.PostForm(manager, $"{back}/block", new() { ["reason"] = "twice" }, back)));

        await app.Send(Updates.Text(tg, "/wallet"));
        Assert.Equal(DashboardTexts.Banned.En, (await app.TextsFor(tg)).Last());

        var unblocked = await DashboardTestData.PostForm(manager, $"{back}/unblock", tokenPage: back);
        Assert.Contains("is unblocked", await DashboardTestData.FlashOrError(manager, unblocked));
        await app.Send(Updates.Text(tg, "/wallet"));
        Assert.NotEqual(DashboardTexts.Banned.En, (await app.TextsFor(tg)).Last());
        var actions = await app.WithDb(db => db.AuditLog.AsNoTracking().Where(a => a.Target == $"user:{u.Id}").OrderBy(a => a.Id).Select(a => a.Action).ToListAsync());
        Assert.Equal(["user.block", "user.unblock"], actions);
    }
}
