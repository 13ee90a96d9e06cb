using System.Text.RegularExpressions;
using Bazaar.Server.Admin;
using Bazaar.Server.Channels;
using Bazaar.Server.Jobs;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Dashboard;

/// <summary>The event log's filters for support, the job queue's retry and cancel, and the outbox's failures with retry.</summary>
public sealed class OperationsPagesTests(DashboardAppFactory app) : IClassFixture<DashboardAppFactory>
{
    private static List<string> RowIds(string html) =>
        Regex.Matches(html, @"<tr><td>(\d+)</td>").Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public async Task The_event_log_filters_by_user_command_status_and_time()
    {
        var a = Updates.NewUserId();
        var b = Updates.NewUserId();
        await app.Send(Updates.Text(a, "/start"), Updates.Text(a, "/wallet"), Updates.Text(b, "/wallet"));
        var ids = await app.WithDb(db => db.InboundUpdates.AsNoTracking().Where(u => u.UserId == a.ToString() || u.UserId == b.ToString())
            .Select(u => new { u.Id, u.UserId, u.Command, u.Status, u.ReceivedAt }).ToListAsync());
        Assert.Equal(3, ids.Count);
        var c = await app.SignedIn(OperatorRoles.Support);
        async Task<List<string>> Rows(string query) => RowIds(await (await c.GetAsync("/admin/events?" + query)).Content.ReadAsStringAsync());

        var ofA = await Rows($"userId={a}");
        Assert.Equal(ids.Where(x => x.UserId == a.ToString()).Select(x => x.Id.ToString()).Order(), ofA.Order());
        var walletOfA = await Rows($"userId={a}&command=%2Fwallet");
        Assert.Equal([ids.Single(x => x.UserId == a.ToString() && x.Command == "wallet").Id.ToString()], walletOfA);
        var status = ids[0].Status.ToString();
        Assert.Equal(ofA.Count, (await Rows($"userId={a}&status={status}")).Count);
        Assert.Empty(await Rows($"userId={a}&status=Failed"));
        var received = ids.Max(x => x.ReceivedAt);
        Assert.Equal(ofA.Count, (await Rows($"userId={a}&from={received.AddMinutes(-1):yyyy-MM-ddTHH:mm}")).Count);
        Assert.Empty(await Rows($"userId={a}&from={received.AddMinutes(5):yyyy-MM-ddTHH:mm}"));
        Assert.Empty(await Rows($"userId={a}&to={received.AddMinutes(-5):yyyy-MM-ddTHH:mm}"));
    }

    [Fact]
    public async Task A_queued_job_is_cancelled_and_a_cancelled_or_failed_one_retried_from_the_queue_page()
    {
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var (queued, failed) = await app.WithDb(async db =>
        {
            // Due in a day, so no worker takes them meanwhile.
            var q = new Job { Type = "dashboard.test", Payload = "{}", MaxAttempts = 3, RunAt = now.AddDays(1), CreatedAt = now };
            var f = new Job { Type = "dashboard.test", Payload = "{}", MaxAttempts = 3, Attempts = 3, Status = JobStatus.Failed, LastError = "boom",
                RunAt = now.AddDays(1), CreatedAt = now, FinishedAt = now };
            db.Jobs.AddRange(q, f);
            await db.SaveChangesAsync();
            return (q.Id, f.Id);
        });
        var manager = await app.SignedIn(OperatorRoles.Manager);
        var page = await (await manager.GetAsync("/admin/jobs?type=dashboard.test")).Content.ReadAsStringAsync();
        Assert.Contains($"action=\"/admin/jobs/{queued}/cancel\"", page);
        Assert.Contains($"action=\"/admin/jobs/{failed}/retry\"", page);
        // Support reads the queue but is offered no action.
        var support = await app.SignedIn(OperatorRoles.Support);
        Assert.DoesNotContain("/retry\"", await (await support.GetAsync("/admin/jobs?type=dashboard.test")).Content.ReadAsStringAsync());

        Assert.Contains("is cancelled", await DashboardTestData.FlashOrError(manager, await DashboardTestData.PostForm(manager, $"/admin/jobs/{queued}/cancel", tokenPage: "/admin/jobs")));
        Assert.StartsWith("!", await DashboardTestData.FlashOrError(manager, await DashboardTestData.PostForm(manager, $"/admin/jobs/{queued}/cancel", tokenPage: "/admin/jobs")));
        Assert.Contains("queued again", await DashboardTestData.FlashOrError(manager, await DashboardTestData.PostForm(manager, $"/admin/jobs/{failed}/retry", tokenPage: "/admin/jobs")));
        Assert.Contains("queued again", await DashboardTestData.FlashOrError(manager, await DashboardTestData.PostForm(manager, $"/admin/jobs/{queued}/retry", tokenPage: "/admin/jobs")));
        var jobs = await app.WithDb(db => db.Jobs.AsNoTracking().Where(j => j.Id == queued || j.Id == failed).ToListAsync());
        Assert.All(jobs, j => Assert.Equal(JobStatus.Queued, j.Status));
        Assert.Equal(0, jobs.Single(j => j.Id == failed).Attempts);
        var audit = await app.WithDb(db => db.AuditLog.AsNoTracking().Where(a => a.Target == $"job:{queued}" || a.Target == $"job:{failed}").Select(a => a.Action).ToListAsync());
        Assert.Equal(["job.cancel", "job.retry", "job.retry"], audit.Order().ToArray());
        await app.WithDb(db => db.Jobs.Where(j => j.Id == queued || j.Id == failed).ExecuteDeleteAsync());
    }

    [Fact]
    public async Task The_outbox_page_lists_failed_messages_by_default_and_retries_one()
    {
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var chat = Updates.NewUserId().ToString();
        var (failed, sent) = await app.WithDb(async db =>
        {
            var f = new OutboxMessage { Channel = "telegram", ChatId = chat, Method = "sendMessage", Payload = "{\"chat_id\":" + chat + ",\"text\":\"x\"}",
                Status = OutboxStatus.Failed, Attempts = 8, LastError = "Forbidden: bot was blocked by the user", CreatedAt = now, NextAttemptAt = now };
            var s = new OutboxMessage { Channel = "telegram", ChatId = chat, Method = "sendMessage", Payload = "{}", Status = OutboxStatus.Sent,
                CreatedAt = now, NextAttemptAt = now, SentAt = now };
            db.Outbox.AddRange(f, s);
            await db.SaveChangesAsync();
            return (f.Id, s.Id);
        });
        var manager = await app.SignedIn(OperatorRoles.Manager);
        var html = await (await manager.GetAsync($"/admin/outbox?chat={chat}")).Content.ReadAsStringAsync();
        Assert.Equal([failed.ToString()], RowIds(html));
        Assert.Contains("bot was blocked by the user", html);
        Assert.Equal(2, RowIds(await (await manager.GetAsync($"/admin/outbox?status=&chat={chat}")).Content.ReadAsStringAsync()).Count);

        Assert.StartsWith("!", await DashboardTestData.FlashOrError(manager, await DashboardTestData.PostForm(manager, $"/admin/outbox/{sent}/retry", tokenPage: "/admin/outbox")));
        Assert.Contains("queued again", await DashboardTestData.FlashOrError(manager, await DashboardTestData.PostForm(manager, $"/admin/outbox/{failed}/retry", tokenPage: "/admin/outbox")));
        Assert.NotEqual(OutboxStatus.Failed, (await app.WithDb(db => db.Outbox.AsNoTracking().SingleAsync(m => m.Id == failed))).Status);
        Assert.Equal("outbox.retry", (await app.WithDb(db => db.AuditLog.AsNoTracking().SingleAsync(a => a.Target == $"outbox:{failed}"))).Action);
    }
}
