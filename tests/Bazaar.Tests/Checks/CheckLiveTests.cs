using System.Net;
using Bazaar.Server.Channels;
using Bazaar.Server.Checks;
using Bazaar.Server.Jobs;
using Bazaar.Tests.Fakes;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MiniExcelLibs;

namespace Bazaar.Tests.Checks;

/// <summary>The live Instagram source against a fake speaking Instagram's web API and GraphQL JSON.</summary>
public sealed class CheckLiveTests(LiveChecksAppFactory app) : IClassFixture<LiveChecksAppFactory>
{
    private static int _n;

    private static string Name(string prefix) => $"{prefix}.{Interlocked.Increment(ref _n)}";

    private static List<string> Names(string prefix, int count) => Enumerable.Range(0, count).Select(i => $"{prefix}_{i:D3}").ToList();

    private async Task<(long Tg, long UserId)> UserWithCredits(long credits, string lang = "en")
    {
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/start", lang: lang));
        var u = await app.UserOf(tg);
        if (credits > 0) await app.Credits(c => c.GrantAsync(u.Id, credits, $"live:{u.Id}", "test", CancellationToken.None));
        return (tg, u.Id);
    }

    /// <summary>/check username with the live source on: queued at once, no export asked for.</summary>
    private async Task<Check> StartInBot(long tg, long userId, string username, string lang = "en")
    {
        await app.Send(Updates.Text(tg, $"/check @{username}", lang: lang));
        return await app.WithDb(db => db.Checks.AsNoTracking().Where(c => c.UserId == userId).OrderByDescending(c => c.Id).FirstAsync());
    }

    private Task<Check> Reload(long id) => app.WithDb(db => db.Checks.AsNoTracking().SingleAsync(c => c.Id == id));

    private Task<Job> JobOf(Check c) => app.WithDb(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == c.JobId));

    private List<FakeInstagramApi.Request> RequestsFor(FakeInstagramApi.Account a) =>
        app.Instagram.Requests.Where(r => r.UserId == a.Id || r.Username == a.Username).ToList();

    private async Task DeliverOutbox()
    {
        var sender = app.Services.GetRequiredService<OutboxSender>();
        for (var i = 0; i < 20; i++)
        {
            await sender.RunOnceAsync(CancellationToken.None);
            app.Clock.Advance(TimeSpan.FromSeconds(2));
        }
    }

    [Fact]
    public async Task A_live_check_pages_both_lists_by_cursor_paced_and_sends_the_report()
    {
        // 120 followers (3 pages of 50) and 70 following (2 pages): 50 mutual, 20 not following back, 70 not followed back.
        var followers = Names("fan", 120);
        var following = followers.Take(50).Concat(Names("idol", 20)).ToList();
        var target = app.Instagram.Add(Name("shop.owner"), followers, following, fullName: "Shop Owner");
        var (tg, userId) = await UserWithCredits(2);

        var check = await StartInBot(tg, userId, target.Username);
        var queued = (await app.TextsFor(tg)).Last();
        Assert.Contains($"Reading <b>@{target.Username}</b> live", queued);
        Assert.Contains("is queued", queued);
        Assert.Equal(CheckSource.Live, check.Source);
        Assert.Equal(target.Username, check.Target);
        Assert.Equal(1, await app.CreditBalance(userId));
        Assert.Empty(RequestsFor(target)); // nothing is read inside the update handler

        await app.RunUntilEnded(1, check.Id);

        var done = await Reload(check.Id);
        Assert.Equal(CheckStatus.Completed, done.Status);
        Assert.Equal((120, 70, 50, 20, 70), (done.Followers!.Value, done.Following!.Value, done.Mutual!.Value, done.NotFollowingBack!.Value, done.NotFollowedBack!.Value));
        var accounts = await app.WithDb(db => db.CheckAccounts.AsNoTracking().Where(a => a.CheckId == check.Id).ToListAsync());
        Assert.Equal(20, accounts.Count(a => a.Direction == FollowDirection.NotFollowingBack));
        var idol = Assert.Single(accounts, a => a.Username == "idol_007");
        Assert.Equal(FollowDirection.NotFollowingBack, idol.Direction);
        Assert.Equal(FakeInstagramApi.FullNameOf("idol_007"), idol.FullName);
        Assert.Equal("https://www.instagram.com/idol_007/", idol.ProfileUrl);
        Assert.Contains(accounts, a => a.Username == "fan_119" && a.Direction == FollowDirection.NotFollowedBack);

        // The profile, then each page asked with the cursor the page before it gave, one request at a time.
        var requests = RequestsFor(target);
        Assert.Equal(["profile", "followers", "followers", "followers", "following", "following"], requests.Select(r => r.Kind));
        Assert.All(requests, r => Assert.Equal(200, r.Answer));
        Assert.Equal([null, FakeInstagramApi.CursorFor(50), FakeInstagramApi.CursorFor(100)], requests.Where(r => r.Kind == "followers").Select(r => r.After));
        Assert.Equal([null, FakeInstagramApi.CursorFor(50)], requests.Where(r => r.Kind == "following").Select(r => r.After));
        Assert.All(requests.Skip(1), r => Assert.Equal(50, r.First));
        Assert.All(requests, r => Assert.Contains($"sessionid={FakeInstagramApi.SessionId}", r.Cookie));
        for (var i = 1; i < requests.Count; i++)
            Assert.True(requests[i].At - requests[i - 1].At >= TimeSpan.FromSeconds(LiveChecksAppFactory.PageDelaySeconds),
                $"request {i} came {(requests[i].At - requests[i - 1].At).TotalSeconds}s after the one before");

        await DeliverOutbox();
        var doc = app.Bot.CallsOf("sendDocument").Single(c => c.Str("chat_id") == tg.ToString());
        Assert.Contains("Not following you back: <b>20</b>", doc.Str("caption"));
        using var ms = new MemoryStream(doc.File("document")!.Content);
        var rows = ms.Query(useHeaderRow: true, sheetName: "Not following back").Cast<IDictionary<string, object?>>().ToList();
        Assert.Equal(20, rows.Count);
        Assert.Equal(FakeInstagramApi.FullNameOf("idol_000"), rows.Single(r => (string?)r["Username"] == "idol_000")["Full name"]);
        Assert.Equal(1, await app.CreditBalance(userId));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task A_rate_limit_is_waited_out_with_backoff_and_the_same_page_is_asked_again()
    {
        var target = app.Instagram.Add(Name("busy"), Names("b", 80), Names("b", 10));
        var (tg, userId) = await UserWithCredits(1);
        // The second followers page is refused twice: first with Retry-After: 100, then with none (the backoff doubles: 30, 60).
        var second = FakeInstagramApi.CursorFor(50);
        app.Instagram.RateLimitNext(2, r => r.UserId == target.Id && r.Kind == "followers" && r.After == second, retryAfterSeconds: 100);

        var check = await StartInBot(tg, userId, target.Username);
        await app.RunUntilEnded(1, check.Id);

        var done = await Reload(check.Id);
        Assert.Equal(CheckStatus.Completed, done.Status);
        Assert.Equal((80, 10, 10), (done.Followers!.Value, done.Following!.Value, done.Mutual!.Value));
        var pages = RequestsFor(target).Where(r => r.Kind == "followers").ToList();
        Assert.Equal([200, 429, 429, 200], pages.Select(r => r.Answer));
        Assert.Equal([null, second, second, second], pages.Select(r => r.After));
        Assert.True(pages[2].At - pages[1].At >= TimeSpan.FromSeconds(100), $"waited {(pages[2].At - pages[1].At).TotalSeconds}s, not Retry-After");
        Assert.True(pages[3].At - pages[2].At >= TimeSpan.FromSeconds(2 * LiveChecksAppFactory.BackoffSeconds),
            $"waited {(pages[3].At - pages[2].At).TotalSeconds}s, not the doubled backoff");
        // Waited out inside the one attempt: the job did not fail over to a retry, and no credit moved back.
        var job = await JobOf(check);
        Assert.Equal((JobStatus.Completed, 1), (job.Status, job.Attempts));
        Assert.False(done.Refunded);
        Assert.Equal(0, await app.CreditBalance(userId));
    }

    [Fact]
    public async Task A_private_account_fails_at_once_with_a_clear_message_and_the_credit_back()
    {
        var target = app.Instagram.Add(Name("hidden"), Names("p", 30), Names("p", 30), isPrivate: true);
        var (tg, userId) = await UserWithCredits(1, "ru");
        var check = await StartInBot(tg, userId, target.Username, "ru");
        await app.RunUntilEnded(1, check.Id);

        var done = await Reload(check.Id);
        Assert.Equal(CheckStatus.Failed, done.Status);
        Assert.True(done.Refunded);
        Assert.Contains("private account", done.FailureReason);
        Assert.Equal(1, await app.CreditBalance(userId));
        // Only the profile was asked; its empty lists were never read as if they were the truth.
        Assert.Equal(["profile"], RequestsFor(target).Select(r => r.Kind));
        var job = await JobOf(check);
        Assert.Equal((JobStatus.Completed, 1), (job.Status, job.Attempts));
        Assert.Contains(await app.TextsFor(tg), t => t.Contains($"@{target.Username} — закрытый аккаунт") && t.Contains("Кредит возвращён"));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task A_private_account_the_session_follows_is_read()
    {
        var target = app.Instagram.Add(Name("friend"), Names("q", 5), Names("q", 3), isPrivate: true, followedByViewer: true);
        var (tg, userId) = await UserWithCredits(1);
        var check = await StartInBot(tg, userId, target.Username);
        await app.RunUntilEnded(1, check.Id);
        var done = await Reload(check.Id);
        Assert.Equal(CheckStatus.Completed, done.Status);
        Assert.Equal((5, 3, 3), (done.Followers!.Value, done.Following!.Value, done.Mutual!.Value));
    }

    [Fact]
    public async Task An_unknown_or_too_large_account_fails_at_once_with_the_reason_and_the_credit_back()
    {
        var big = app.Instagram.Add(Name("celebrity"), Names("c", LiveChecksAppFactory.MaxAccounts), Names("c", 1));
        var (tg, userId) = await UserWithCredits(2);
        var ghost = await StartInBot(tg, userId, "no.such.account");
        var large = await StartInBot(tg, userId, big.Username);
        await app.RunUntilEnded(1, ghost.Id, large.Id);

        var g = await Reload(ghost.Id);
        Assert.Equal((CheckStatus.Failed, true), (g.Status, g.Refunded));
        var l = await Reload(large.Id);
        Assert.Equal((CheckStatus.Failed, true), (l.Status, l.Refunded));
        Assert.Equal(["profile"], RequestsFor(big).Select(r => r.Kind));
        var texts = await app.TextsFor(tg);
        Assert.Contains(texts, t => t.Contains("there is no Instagram account @no.such.account") && t.Contains("credit has been refunded"));
        Assert.Contains(texts, t => t.Contains($"@{big.Username} has more than {LiveChecksAppFactory.MaxAccounts} followers"));
        Assert.Equal(2, await app.CreditBalance(userId));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task A_logged_out_session_fails_the_check_at_once_refunded_and_says_to_send_the_export()
    {
        var early = app.Instagram.Add(Name("early"), Names("e", 3), Names("e", 3));
        var (tg, userId) = await UserWithCredits(1);
        var check = await StartInBot(tg, userId, early.Username);
        app.Instagram.SessionExpired = true;
        try
        {
            await app.RunUntilEnded(1, check.Id);
        }
        finally
        {
            app.Instagram.SessionExpired = false;
        }
        var done = await Reload(check.Id);
        Assert.Equal((CheckStatus.Failed, true), (done.Status, done.Refunded));
        Assert.Equal([401], RequestsFor(early).Select(r => r.Answer));
        Assert.Equal((JobStatus.Completed, 1), ((await JobOf(check)).Status, (await JobOf(check)).Attempts));
        Assert.Contains(await app.TextsFor(tg), t => t.Contains($"Check #{check.Id} of") && t.Contains("live is unavailable right now") && t.Contains("export ZIP"));
        Assert.Equal(1, await app.CreditBalance(userId));

        // Logged out in the middle: the profile is read, then GraphQL redirects to the login page.
        var late = app.Instagram.Add(Name("late"), Names("e", 3), Names("e", 3));
        var second = await StartInBot(tg, userId, late.Username);
        app.Instagram.ListsLoggedOut = true;
        try
        {
            await app.RunUntilEnded(1, second.Id);
        }
        finally
        {
            app.Instagram.ListsLoggedOut = false;
        }
        Assert.Equal((CheckStatus.Failed, true), ((await Reload(second.Id)).Status, (await Reload(second.Id)).Refunded));
        Assert.Equal([200, 302], RequestsFor(late).Select(r => r.Answer));
        Assert.Equal((JobStatus.Completed, 1), ((await JobOf(second)).Status, (await JobOf(second)).Attempts));
        Assert.Contains(await app.TextsFor(tg), t => t.Contains($"Check #{second.Id} of") && t.Contains("live is unavailable right now"));
        Assert.Equal(1, await app.CreditBalance(userId));
    }

    [Fact]
    public async Task A_source_that_keeps_failing_is_retried_then_fails_refunding_the_credit_exactly_once()
    {
        var target = app.Instagram.Add(Name("flaky"), Names("r", 3), Names("r", 3));
        var (tg, userId) = await UserWithCredits(1);
        var check = await StartInBot(tg, userId, target.Username);
        app.Instagram.AlwaysRateLimited = true;
        try
        {
            await app.RunUntilEnded(1, check.Id);
        }
        finally
        {
            app.Instagram.AlwaysRateLimited = false;
        }
        var done = await Reload(check.Id);
        Assert.Equal((CheckStatus.Failed, true), (done.Status, done.Refunded));
        // Two job attempts, each asking the profile three times (the first try and two backoff retries).
        var job = await JobOf(check);
        Assert.Equal((JobStatus.Failed, 2), (job.Status, job.Attempts));
        Assert.Equal(6, RequestsFor(target).Count(r => r.Answer == 429));
        Assert.Equal(1, await app.CreditBalance(userId));
        Assert.Equal(1, await app.WithDb(db => db.LedgerTransactions.CountAsync(t => t.ExternalRef == CheckCredits.RefundKey(check.Id))));
        Assert.Single(await app.TextsFor(tg), t => t.Contains($"Check #{check.Id} could not be completed") && t.Contains("credit has been refunded"));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task A_next_page_without_a_new_cursor_is_not_asked_forever()
    {
        var target = app.Instagram.Add(Name("loop"), Names("l", 120), Names("l", 1));
        var (tg, userId) = await UserWithCredits(1);
        var check = await StartInBot(tg, userId, target.Username);
        app.Instagram.StuckCursor = true;
        try
        {
            await app.RunUntilEnded(1, check.Id);
        }
        finally
        {
            app.Instagram.StuckCursor = false;
        }
        var done = await Reload(check.Id);
        Assert.Equal((CheckStatus.Failed, true), (done.Status, done.Refunded));
        Assert.Equal(JobStatus.Failed, (await JobOf(check)).Status);
        // Per attempt: the profile, the first page, the second page (whose cursor is the one it was asked with), then stop.
        Assert.Equal(4, RequestsFor(target).Count(r => r.Kind == "followers"));
        Assert.Equal(1, await app.CreditBalance(userId));
    }

    [Fact]
    public async Task Live_checks_run_one_at_a_time_even_with_several_workers()
    {
        app.Instagram.Latency = TimeSpan.FromMilliseconds(30);
        try
        {
            var targets = Enumerable.Range(0, 3).Select(i => app.Instagram.Add(Name("queue"), Names($"w{i}", 120), Names($"w{i}", 60))).ToList();
            var checks = new List<Check>();
            foreach (var t in targets)
            {
                var (tg, userId) = await UserWithCredits(1);
                checks.Add(await StartInBot(tg, userId, t.Username));
            }
            await app.RunUntilEnded(3, checks.Select(c => c.Id).ToArray());

            var done = new List<Check>();
            foreach (var c in checks) done.Add(await Reload(c.Id));
            Assert.All(done, c => Assert.Equal(CheckStatus.Completed, c.Status));
            // Each check's requests form one block: no two checks were reading Instagram at the same time.
            var order = app.Instagram.Requests.Select(r => targets.FindIndex(t => t.Id == r.UserId || t.Username == r.Username)).Where(i => i >= 0).ToList();
            var blocks = order.Where((t, i) => i == 0 || order[i - 1] != t).ToList();
            Assert.Equal(3, blocks.Count);
            Assert.Equal(3, blocks.Distinct().Count());
            var byStart = done.OrderBy(c => c.StartedAt).ToList();
            for (var i = 1; i < byStart.Count; i++) Assert.True(byStart[i].StartedAt >= byStart[i - 1].FinishedAt);
        }
        finally
        {
            app.Instagram.Latency = TimeSpan.FromMilliseconds(5);
        }
    }

    [Fact]
    public async Task Integrators_queue_a_live_check_with_only_a_target()
    {
        var target = app.Instagram.Add(Name("api.target"), Names("a", 4), Names("a", 2).Append("stranger").ToList());
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/start"));
        var user = await app.UserOf(tg);
        using var client = app.AdminClient();
        await (await client.PostJson("/api/v1/checks", new { userId = user.Id, target = target.Username })).AssertProblem(402, CheckQueue.NoCredits);
        await app.Credits(c => c.GrantAsync(user.Id, 1, $"api-live:{user.Id}", "test", CancellationToken.None));

        var created = await client.PostJson("/api/v1/checks", new { userId = user.Id, target = "@" + target.Username.ToUpperInvariant() });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.ReadJson();
        Assert.Equal("live", body.GetProperty("source").GetString());
        var id = body.GetProperty("id").GetInt64();
        await app.RunUntilEnded(1, id);

        var view = await (await client.GetAsync($"/api/v1/checks/{id}")).ReadJson();
        Assert.Equal("COMPLETED", view.GetProperty("status").GetString());
        Assert.Equal(1, view.GetProperty("summary").GetProperty("notFollowingBack").GetInt32());
        using var ms = new MemoryStream(await (await client.GetAsync($"/api/v1/checks/{id}/report.xlsx")).Content.ReadAsByteArrayAsync());
        var rows = ms.Query(useHeaderRow: true, sheetName: "Not following back").Cast<IDictionary<string, object?>>().ToList();
        Assert.Equal("stranger", Assert.Single(rows)["Username"]);
    }
}
