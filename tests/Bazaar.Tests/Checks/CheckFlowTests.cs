using System.Text.Json.Nodes;
using Bazaar.Server.Channels;
using Bazaar.Server.Checks;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MiniExcelLibs;

namespace Bazaar.Tests.Checks;

public sealed class CheckFlowTests(ChecksAppFactory app) : IClassFixture<ChecksAppFactory>
{
    private async Task<(long Tg, long UserId)> UserWithCredits(long credits, string lang = "en")
    {
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/start", lang: lang));
        var u = await app.UserOf(tg);
        if (credits > 0) await app.Credits(c => c.GrantAsync(u.Id, credits, $"test:{u.Id}", "test", CancellationToken.None));
        return (tg, u.Id);
    }

    private async Task DeliverOutbox()
    {
        var sender = app.Services.GetRequiredService<OutboxSender>();
        for (var i = 0; i < 20; i++)
        {
            await sender.RunOnceAsync(CancellationToken.None);
            app.Clock.Advance(TimeSpan.FromSeconds(2));
        }
    }

    private async Task<List<JobRun>> RunChecks()
    {
        var all = new List<JobRun>();
        for (var i = 0; i < 10; i++)
        {
            app.Clock.Advance(TimeSpan.FromSeconds(5));
            var runs = await app.RunJobs();
            if (runs.Count == 0 && i > 0) break;
            all.AddRange(runs);
        }
        return all;
    }

    [Fact]
    public async Task An_export_upload_is_queued_then_the_report_arrives_as_an_xlsx_document_through_the_outbox()
    {
        var (tg, userId) = await UserWithCredits(2);
        var fileId = "export-" + Guid.NewGuid().ToString("N");
        app.Bot.AddFile(fileId, CheckTestData.SampleExport());

        await app.Send(Updates.Text(tg, "/check"));
        Assert.Contains("Download your information", (await app.TextsFor(tg)).Last());
        await app.Send(CheckTestData.Document(tg, fileId));
        var queued = (await app.TextsFor(tg)).Last();
        Assert.Contains("is queued: place <b>1</b>", queued);
        Assert.Contains("1 left", queued);
        // The handler did not download anything: only the job calls getFile.
        Assert.DoesNotContain(app.Bot.CallsOf("getFile"), c => c.Str("file_id") == fileId);
        Assert.Equal(1, await app.CreditBalance(userId));

        await RunChecks();
        var check = await app.WithDb(db => db.Checks.AsNoTracking().SingleAsync(c => c.UserId == userId));
        Assert.Equal(CheckStatus.Completed, check.Status);
        Assert.Equal((3, 3, 2, 1, 1), (check.Followers!.Value, check.Following!.Value, check.Mutual!.Value, check.NotFollowingBack!.Value, check.NotFollowedBack!.Value));
        var accounts = await app.WithDb(db => db.CheckAccounts.AsNoTracking().Where(a => a.CheckId == check.Id).ToListAsync());
        Assert.Contains(accounts, a => a.Username == "bob" && a.Direction == FollowDirection.NotFollowingBack && a.ProfileUrl == "https://www.instagram.com/bob/");
        Assert.Contains(accounts, a => a.Username == "carol" && a.Direction == FollowDirection.NotFollowedBack);

        await DeliverOutbox();
        var doc = app.Bot.CallsOf("sendDocument").Single(c => c.Str("chat_id") == tg.ToString());
        Assert.Contains("Not following you back: <b>1</b>", doc.Str("caption"));
        var file = doc.File("document")!;
        Assert.EndsWith(".xlsx", file.FileName);
        using var ms = new MemoryStream(file.Content);
        Assert.Equal(["Summary", "Not following back", "Not followed back"], MiniExcel.GetSheetNames(ms));
        ms.Position = 0;
        var summary = ms.Query(useHeaderRow: true, sheetName: "Summary").Cast<IDictionary<string, object?>>().ToList();
        Assert.Equal(2.0, Convert.ToDouble(summary.Single(r => (string?)r["Metric"] == "Mutual")["Value"]));
        ms.Position = 0;
        var notBack = ms.Query(useHeaderRow: true, sheetName: "Not following back").Cast<IDictionary<string, object?>>().ToList();
        Assert.Equal("bob", Assert.Single(notBack)["Username"]);
        Assert.Equal("https://www.instagram.com/bob/", notBack[0]["Profile link"]);

        // /last sends the same report again; /status lists it as done.
        await app.Send(Updates.Text(tg, "/last"), Updates.Text(tg, "/status"));
        Assert.Equal(2, (await app.OutboxFor(tg)).Count(m => m.Method == "sendDocument"));
        Assert.Contains($"#{check.Id} · done: 1 not following back", (await app.TextsFor(tg)).Last());
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task Without_the_live_source_check_username_asks_for_the_export_and_queues_nothing()
    {
        var (tg, userId) = await UserWithCredits(1);
        await app.Send(Updates.Text(tg, "/check"));
        Assert.Contains("not enabled on this bot", (await app.TextsFor(tg)).Last());
        await app.Send(Updates.Text(tg, "/check @Some.Account"));
        Assert.Contains("Now send me the export ZIP of <b>some.account</b>", (await app.TextsFor(tg)).Last());
        Assert.Equal(0, await app.WithDb(db => db.Checks.CountAsync(c => c.UserId == userId)));
        Assert.Equal(1, await app.CreditBalance(userId));
        // /help names both ways.
        await app.Send(Updates.Text(tg, "/help"));
        Assert.Contains("/check username, or send your export ZIP", (await app.TextsFor(tg)).Last());
    }

    [Fact]
    public async Task At_zero_credits_the_bot_says_so_and_offers_buy()
    {
        var (tg, userId) = await UserWithCredits(0, "ru");
        await app.Send(Updates.Text(tg, "/check", lang: "ru"), CheckTestData.Document(tg, "none-" + Guid.NewGuid().ToString("N"), lang: "ru"));
        var last = await app.LastPayload(tg, "sendMessage");
        Assert.Contains("Кредиты на проверки закончились", last["text"]!.GetValue<string>());
        Assert.Equal("chk:buy", last["reply_markup"]!["inline_keyboard"]![0]![0]!["callback_data"]!.GetValue<string>());
        Assert.Equal(0, await app.WithDb(db => db.Checks.CountAsync(c => c.UserId == userId)));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task Two_checks_started_at_once_with_one_credit_make_one_queued_check_and_one_refusal()
    {
        var (tg, userId) = await UserWithCredits(1);
        var chat = new ChatTarget(ChatChannel.Telegram, tg.ToString(), userId);
        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => Task.Run(() => app.In(sp =>
            sp.GetRequiredService<CheckQueue>().StartAsync(userId, chat, CheckSource.Export, null, $"f{i}-{userId}", null, null, CancellationToken.None)))));

        Assert.Single(results, r => r.Ok);
        Assert.Single(results, r => r.Error == CheckQueue.NoCredits);
        Assert.Equal(1, await app.WithDb(db => db.Checks.CountAsync(c => c.UserId == userId)));
        var check = await app.WithDb(db => db.Checks.AsNoTracking().SingleAsync(c => c.UserId == userId));
        Assert.Equal(1, await app.WithDb(db => db.Jobs.CountAsync(j => j.Id == check.JobId && j.Status == JobStatus.Queued)));
        Assert.Equal(0, await app.CreditBalance(userId));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task Cancelling_a_queued_check_refunds_its_credit_once_and_a_started_one_cannot_be_cancelled()
    {
        var (tg, userId) = await UserWithCredits(1);
        var fileId = "cancel-" + Guid.NewGuid().ToString("N");
        await app.Send(Updates.Text(tg, "/check"), CheckTestData.Document(tg, fileId));
        var check = await app.WithDb(db => db.Checks.AsNoTracking().SingleAsync(c => c.UserId == userId));
        Assert.Equal(0, await app.CreditBalance(userId));

        await app.Send(Updates.Callback(tg, $"chk:x:{check.Id}"), Updates.Callback(tg, $"chk:x:{check.Id}"));

        Assert.Equal(1, await app.CreditBalance(userId));
        var texts = await app.TextsFor(tg);
        Assert.Contains(texts, t => t.Contains($"Check #{check.Id} cancelled"));
        Assert.Equal(CheckStatus.Cancelled, (await app.WithDb(db => db.Checks.AsNoTracking().SingleAsync(c => c.Id == check.Id))).Status);
        Assert.Equal(JobStatus.Cancelled, (await app.WithDb(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == check.JobId))).Status);
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task A_source_that_stays_unavailable_fails_the_check_and_refunds_its_credit_exactly_once()
    {
        var (tg, userId) = await UserWithCredits(1);
        var fileId = "down-" + Guid.NewGuid().ToString("N");
        // Telegram never gives the file: every attempt fails until the attempts run out.
        await app.Send(Updates.Text(tg, "/check"), CheckTestData.Document(tg, fileId));
        for (var i = 0; i < 12; i++)
        {
            app.Clock.Advance(TimeSpan.FromHours(2));
            await app.RunJobs();
        }
        var check = await app.WithDb(db => db.Checks.AsNoTracking().SingleAsync(c => c.UserId == userId));
        Assert.Equal(CheckStatus.Failed, check.Status);
        Assert.True(check.Refunded);
        Assert.Equal(1, await app.CreditBalance(userId));
        Assert.Equal(1, await app.WithDb(db => db.LedgerTransactions.CountAsync(t => t.ExternalRef == CheckCredits.RefundKey(check.Id))));
        Assert.Contains(await app.TextsFor(tg), t => t.Contains("source was unavailable") && t.Contains("credit has been refunded"));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task A_crash_mid_check_is_retried_and_the_credit_is_spent_once()
    {
        var (tg, userId) = await UserWithCredits(1);
        var fileId = "crash-" + Guid.NewGuid().ToString("N");
        app.Bot.AddFile(fileId, CheckTestData.SampleExport());
        await app.Send(Updates.Text(tg, "/check"), CheckTestData.Document(tg, fileId));
        var check = await app.WithDb(db => db.Checks.AsNoTracking().SingleAsync(c => c.UserId == userId));

        // The worker dies holding the job: claimed (lease taken, the check RUNNING), never finished.
        var now = app.Clock.GetUtcNow().UtcDateTime;
        await app.WithDb(db => db.Jobs.Where(j => j.Id == check.JobId).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Processing).SetProperty(j => j.Attempts, 1).SetProperty(j => j.StartedAt, now)
            .SetProperty(j => j.LeaseOwner, "dead-worker").SetProperty(j => j.LeaseExpiresAt, now.AddSeconds(60))));
        await app.WithDb(db => db.Checks.Where(c => c.Id == check.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CheckStatus.Running)));
        Assert.Empty(await app.RunJobs());

        app.Clock.Advance(TimeSpan.FromMinutes(5)); // the lease lapses; another worker takes the job back
        await RunChecks();

        var done = await app.WithDb(db => db.Checks.AsNoTracking().SingleAsync(c => c.Id == check.Id));
        Assert.Equal(CheckStatus.Completed, done.Status);
        Assert.False(done.Refunded);
        Assert.Equal(0, await app.CreditBalance(userId));
        Assert.Equal(1, await app.WithDb(db => db.LedgerTransactions.CountAsync(t => t.ExternalRef == CheckCredits.SpendKey(check.Id))));
        Assert.Equal(1, (await app.OutboxFor(tg)).Count(m => m.Method == "sendDocument"));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task A_wrong_file_fails_with_a_clear_message_and_the_credit_back()
    {
        var (tg, userId) = await UserWithCredits(1);
        var fileId = "wrong-" + Guid.NewGuid().ToString("N");
        app.Bot.AddFile(fileId, CheckTestData.Zip(("photos/cat.json", "{}")));
        await app.Send(Updates.Text(tg, "/check"), CheckTestData.Document(tg, fileId));
        await RunChecks();
        var check = await app.WithDb(db => db.Checks.AsNoTracking().SingleAsync(c => c.UserId == userId));
        Assert.Equal(CheckStatus.Failed, check.Status);
        var job = await app.WithDb(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == check.JobId));
        Assert.True(job.Status == JobStatus.Completed, job.LastError);
        Assert.Contains(await app.TextsFor(tg), t => t.Contains("not an Instagram export") && t.Contains("refunded"));
        Assert.Equal(1, await app.CreditBalance(userId));

        // A file that is not a .zip is turned away at once, without a check.
        await app.Send(Updates.Text(tg, "/check"), CheckTestData.Document(tg, "pdf-" + Guid.NewGuid().ToString("N"), "scan.pdf") is var d
            ? WithMime(d, "application/pdf") : d);
        Assert.Contains("<b>.zip</b>", (await app.TextsFor(tg)).Last());
        Assert.Equal(1, await app.WithDb(db => db.Checks.CountAsync(c => c.UserId == userId)));
    }

    [Fact]
    public async Task A_wrong_file_is_explained_in_the_users_language()
    {
        var (tg, userId) = await UserWithCredits(1, "ru");
        var fileId = "wrong-ru-" + Guid.NewGuid().ToString("N");
        app.Bot.AddFile(fileId, CheckTestData.Zip(("../../followers_1.json", "[]"), ("following.json", "[]")));
        await app.Send(Updates.Text(tg, "/check", lang: "ru"), CheckTestData.Document(tg, fileId, lang: "ru"));
        await RunChecks();
        Assert.Contains(await app.TextsFor(tg), t => t.Contains("небезопасным путём") && t.Contains("Кредит возвращён"));
        Assert.Equal(1, await app.CreditBalance(userId));
    }

    private static JsonObject WithMime(JsonObject update, string mime)
    {
        update["message"]!["document"]!["mime_type"] = mime;
        return update;
    }

    [Fact]
    public async Task Queue_positions_follow_the_order_and_status_shows_them()
    {
        var users = new List<(long Tg, long Id)>();
        for (var i = 0; i < 3; i++) users.Add(await UserWithCredits(1));
        foreach (var (tg, _) in users) await app.Send(Updates.Text(tg, "/check"), CheckTestData.Document(tg, "q-" + Guid.NewGuid().ToString("N")));
        var positions = new List<int>();
        foreach (var (tg, id) in users)
        {
            var c = await app.WithDb(db => db.Checks.AsNoTracking().SingleAsync(x => x.UserId == id));
            positions.Add((await app.In(sp => sp.GetRequiredService<CheckQueue>().PositionAsync(c, CancellationToken.None)))!.Value);
        }
        Assert.True(positions[0] < positions[1] && positions[1] < positions[2]);
        await app.Send(Updates.Text(users[2].Tg, "/status"));
        Assert.Contains($"queued, place {positions[2]}", (await app.TextsFor(users[2].Tg)).Last());
        // Leave the queue empty for the other tests.
        foreach (var (tg, id) in users)
        {
            var c = await app.WithDb(db => db.Checks.AsNoTracking().SingleAsync(x => x.UserId == id));
            await app.Send(Updates.Callback(tg, $"chk:x:{c.Id}"));
        }
    }

    [Fact]
    public void Checks_run_one_at_a_time_with_a_pause_by_default()
    {
        var o = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<JobsOptions>>().Value.For(CheckJob.JobType);
        Assert.Equal(1, o.MaxConcurrent);
        Assert.True(o.MinIntervalSeconds > 0);
    }
}
