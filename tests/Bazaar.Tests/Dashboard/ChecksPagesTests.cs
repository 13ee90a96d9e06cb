using Bazaar.Server.Admin;
using Bazaar.Server.Channels;
using Bazaar.Server.Checks;
using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Dashboard;

/// <summary>Checks pages: the tariffs editor, and the queue with cancel (credit back) and retry (a new check).</summary>
public sealed class ChecksPagesTests(DashboardAppFactory app) : IClassFixture<DashboardAppFactory>
{
    private static KeyValuePair<string, string> F(string k, string v) => new(k, v);

    private async Task<(long UserId, long CheckId)> QueuedCheckAsync(long credits = 1)
    {
        var u = await app.UserAsync("Ivan");
        await app.In(sp => sp.GetRequiredService<CheckCredits>().GrantAsync(u.Id, credits, $"test:{Guid.NewGuid():N}", "test", default));
        var started = await app.In(sp => sp.GetRequiredService<CheckQueue>().StartAsync(u.Id, new ChatTarget(u.Channel, u.ExternalId, u.Id),
            CheckSource.Export, "someone", "file-" + Guid.NewGuid().ToString("N")[..6], "export.zip", 1000, default));
        Assert.True(started.Ok);
        return (u.Id, started.Check!.Id);
    }

    private Task<long> Balance(long userId) => app.In(sp => sp.GetRequiredService<CheckCredits>().BalanceAsync(userId, default));

    [Fact]
    public async Task A_tariff_is_added_and_edited_with_the_tariffs_own_validation()
    {
        var c = await app.SignedIn(OperatorRoles.Manager);
        var name = "Pack " + Guid.NewGuid().ToString("N")[..5];
        var r = await DashboardTestData.PostFields(c, "/admin/checks/tariffs", [F("name", name), F("credits", "5"), F("price", "4.99"), F("stars", "250"), F("isActive", "on")], "/admin/checks");
        Assert.Equal($"Tariff \"{name}\" added.", await DashboardTestData.FlashOrError(c, r));
        var t = await app.WithDb(db => db.Tariffs.AsNoTracking().SingleAsync(x => x.Name == name));
        Assert.Equal((5L, 499L, "USD", (long?)250, true), (t.Credits, t.Price, t.Currency, t.StarsPrice, t.IsActive));

        r = await DashboardTestData.PostFields(c, $"/admin/checks/tariffs/{t.Id}", [F("name", name), F("credits", "0"), F("price", "4.99")]);
        Assert.StartsWith("!Credits must be a whole number from 1 to", await DashboardTestData.FlashOrError(c, r));
        r = await DashboardTestData.PostFields(c, $"/admin/checks/tariffs/{t.Id}", [F("name", name), F("credits", "10"), F("price", "8"), F("sort", "3")]);
        Assert.Equal($"Tariff \"{name}\" saved (not on sale).", await DashboardTestData.FlashOrError(c, r));
        t = await app.WithDb(db => db.Tariffs.AsNoTracking().SingleAsync(x => x.Id == t.Id));
        Assert.Equal((10L, 800L, false, 3), (t.Credits, t.Price, t.IsActive, t.SortOrder));
    }

    [Fact]
    public async Task Cancelling_a_queued_check_gives_the_credit_back_and_retry_starts_a_new_check()
    {
        var (userId, checkId) = await QueuedCheckAsync();
        Assert.Equal(0, await Balance(userId));
        var c = await app.SignedIn(OperatorRoles.Manager);
        var page = await (await c.GetAsync($"/admin/checks?userId={userId}")).Content.ReadAsStringAsync();
        Assert.Contains($"data-check=\"{checkId}\"", page);
        Assert.Contains("in line", page);

        var r = await DashboardTestData.PostForm(c, $"/admin/checks/{checkId}/cancel", tokenPage: "/admin/checks");
        Assert.Equal($"Check {checkId} cancelled; the customer got the credit back.", await DashboardTestData.FlashOrError(c, r));
        Assert.Equal(1, await Balance(userId));
        Assert.Equal(CheckStatus.Cancelled, await app.WithDb(db => db.Checks.Where(x => x.Id == checkId).Select(x => x.Status).SingleAsync()));
        r = await DashboardTestData.PostForm(c, $"/admin/checks/{checkId}/cancel");
        Assert.StartsWith("!Check " + checkId + " is no longer waiting in line", await DashboardTestData.FlashOrError(c, r));

        r = await DashboardTestData.PostForm(c, $"/admin/checks/{checkId}/retry");
        var flash = await DashboardTestData.FlashOrError(c, r);
        Assert.StartsWith($"Check {checkId} is running again as check ", flash);
        var again = await app.WithDb(db => db.Checks.AsNoTracking().Where(x => x.UserId == userId).OrderByDescending(x => x.Id).FirstAsync());
        Assert.NotEqual(checkId, again.Id);
        Assert.Equal((CheckStatus.Queued, "someone"), (again.Status, again.Target));
        Assert.Equal(0, await Balance(userId));

        // No credit left: a retry is refused with the checks' own reason, and nothing is queued.
        await DashboardTestData.PostForm(c, $"/admin/checks/{again.Id}/cancel");
        await app.In(sp => sp.GetRequiredService<CheckCredits>().SpendAsync(userId, 900_000_000 + again.Id, default));
        r = await DashboardTestData.PostForm(c, $"/admin/checks/{again.Id}/retry");
        Assert.Equal("!The user has no check credits left; they can buy some with /buy.", await DashboardTestData.FlashOrError(c, r));
    }

    [Fact]
    public async Task Only_a_failed_or_cancelled_check_is_retried()
    {
        var (_, checkId) = await QueuedCheckAsync();
        var c = await app.SignedIn(OperatorRoles.Owner);
        var r = await DashboardTestData.PostForm(c, $"/admin/checks/{checkId}/retry");
        Assert.Equal($"!Check {checkId} is queued; only a failed or cancelled check is retried.", await DashboardTestData.FlashOrError(c, r));
    }
}
