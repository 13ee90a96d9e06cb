using System.Text.Json;
using Bazaar.Server.Broadcasts;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Tests.Fakes;
using Bazaar.Tests.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Broadcasts;

public sealed class BroadcastRunTests
{
    private const int Rate = 100;
    private static readonly (string, string)[] Settings =
        [("Outbox:GlobalPerSecond", "120"), ("Outbox:BroadcastPerSecond", Rate.ToString())];

    private static async Task<long> StartAsync(OutboxAppHost h, object body)
    {
        var r = await h.App.AdminClient().PostJson("/api/v1/admin/broadcasts", body);
        Assert.Equal(201, (int)r.StatusCode);
        return (await r.ReadJson()).GetProperty("id").GetInt64();
    }

    [Fact]
    public async Task Ten_thousand_users_get_exactly_one_copy_each_through_429s_403s_and_a_restart_within_the_rate()
    {
        const int n = 10_000;
        await using var database = await TestDatabase.CreateAsync();
        await using var api = await FakeBotApi.StartAsync();
        var h = await OutboxAppHost.StartAsync(api, database, Settings);
        try
        {
            api.Now = () => h.Now;
            var admin = (await BroadcastHarness.AddUsersAsync(h.App, 1)).Single();
            var users = await BroadcastHarness.AddUsersAsync(h.App, n);
            var throttled = users.Where((_, i) => i % 333 == 7).Select(u => u.Chat).ToHashSet();
            var blocked = users.Where((_, i) => i % 250 == 3).Select(u => u.Chat).ToHashSet();
            foreach (var chat in throttled) api.FailNextFor(chat, 429, "Too Many Requests: retry after 2", retryAfter: 2);
            foreach (var chat in blocked) api.FailNextFor(chat, 403, "Forbidden: bot was blocked by the user");

            var id = await StartAsync(h, new { text = "<b>Sale</b> today", segment = "all", admin_user_id = admin.Id,
                buttons = new[] { new[] { new { text = "Open", url = "https://example.com/sale" } } } });
            var start = h.Now;

            // Half way, the server stops, with messages handed to the outbox but not sent yet.
            await BroadcastHarness.DriveAsync(h, async () => api.CallsOf("sendMessage").Count() >= n / 2, 1000);
            var before = await BroadcastHarness.GetAsync(h.App, id);
            var queuedAtStop = await h.App.WithDb(db => db.BroadcastRecipients.CountAsync(r => r.BroadcastId == id && r.State == RecipientState.Queued));
            Assert.True(queuedAtStop > 0, "the restart should find messages waiting in the outbox");
            var calls = api.Calls.ToList();
            var stoppedAt = h.Now;
            await h.DisposeAsync();

            h = await OutboxAppHost.StartAsync(api, database, Settings);
            h.App.Clock.SetUtcNow(stoppedAt.AddSeconds(5));
            // The tick that already ran, delivered again (a worker that died before marking it done), hands nothing over.
            var pendingBefore = await h.App.WithDb(db => db.BroadcastRecipients.CountAsync(r => r.BroadcastId == id && r.State == RecipientState.Pending));
            await using (var scope = h.App.Services.CreateAsyncScope())
                await scope.ServiceProvider.GetRequiredService<BroadcastService>().TickAsync(new(id, before.Tick - 1), default);
            Assert.Equal(pendingBefore, await h.App.WithDb(db => db.BroadcastRecipients.CountAsync(r => r.BroadcastId == id && r.State == RecipientState.Pending)));

            await BroadcastHarness.DriveUntilStatusAsync(h, id, BroadcastStatus.Completed, 1000);
            calls.AddRange(api.Calls);

            var sends = calls.Where(c => c.Method == "sendMessage" && c.Str("chat_id") != admin.Chat).ToList();
            var perChat = sends.GroupBy(c => c.Str("chat_id")!).ToDictionary(g => g.Key, g => g.OrderBy(c => c.At).ToList());
            Assert.Equal(n, perChat.Count);
            foreach (var (chat, list) in perChat)
            {
                Assert.Equal(throttled.Contains(chat) ? 2 : 1, list.Count);
                if (list.Count == 2) Assert.True(list[1].At - list[0].At >= TimeSpan.FromSeconds(2), $"chat {chat} was retried before retry_after");
            }
            Assert.All(sends, c => Assert.Equal("<b>Sale</b> today", c.Str("text")));

            // Pacing, on the fake clock: any 10 s carry at most 10 s of the rate plus one second's burst.
            var at = sends.Select(c => c.At).Order().ToList();
            for (int i = 0, j = 0; i < at.Count; i++)
            {
                while (at[j] < at[i] - TimeSpan.FromSeconds(10)) j++;
                Assert.True(i - j + 1 <= Rate * 11, $"{i - j + 1} sends in 10 s at {at[i]:HH:mm:ss.fff}");
            }
            Assert.True(at[^1] - start >= TimeSpan.FromSeconds((n - Rate) / (double)Rate));

            var view = await (await h.App.AdminClient().GetAsync($"/api/v1/admin/broadcasts/{id}")).ReadJson();
            Assert.Equal("Completed", view.GetProperty("status").GetString());
            Assert.Equal(n + 1, view.GetProperty("total").GetInt32());
            Assert.Equal(n + 1 - blocked.Count, view.GetProperty("sent").GetInt32());
            Assert.Equal(blocked.Count, view.GetProperty("blocked").GetInt32());
            Assert.Equal(0, view.GetProperty("failed").GetInt32());
            Assert.Equal(0, view.GetProperty("remaining").GetInt32());
            var blockedUsers = await h.App.WithDb(db => db.Users.Where(u => u.IsBlocked).Select(u => u.ExternalId).ToListAsync());
            Assert.Equal(blocked.Order(), blockedUsers.Order());

            // The admin: the test copy first, then the progress message, edited as it ran and at the end.
            var adminCalls = calls.Where(c => c.Str("chat_id") == admin.Chat).ToList();
            Assert.Equal("<b>Sale</b> today", adminCalls[0].Str("text"));
            Assert.StartsWith("📣", adminCalls[1].Str("text"));
            Assert.Contains(adminCalls, c => c.Method == "editMessageText" && c.Str("text")!.Contains("completed"));
        }
        finally
        {
            await h.DisposeAsync();
        }
    }

    [Fact]
    public async Task Pause_takes_unsent_messages_back_resume_goes_on_and_cancel_stops_for_good()
    {
        await using var h = await OutboxAppHost.StartAsync(Settings);
        await BroadcastHarness.AddUsersAsync(h.App, 400, language: "ru");
        var id = await StartAsync(h, new { text = "Привет", segment = "language", language = "ru" });
        var api = h.App.AdminClient();

        await BroadcastHarness.DriveAsync(h, async () => h.Api.CallsOf("sendMessage").Count() >= 50, 100);
        var paused = await api.PostAsync($"/api/v1/admin/broadcasts/{id}/pause", null);
        Assert.Equal(200, (int)paused.StatusCode);
        Assert.Equal("Paused", (await paused.ReadJson()).GetProperty("status").GetString());
        Assert.Equal(0, await h.App.WithDb(db => db.Outbox.CountAsync(o => o.Lane == OutboxLanes.Broadcast && o.Status == OutboxStatus.Pending)));
        await (await api.PostAsync($"/api/v1/admin/broadcasts/{id}/pause", null)).AssertProblem(409, "broadcast_not_running");

        var sentAtPause = h.Api.CallsOf("sendMessage").Count();
        await BroadcastHarness.DriveAsync(h, () => Task.FromResult(false), 20);
        Assert.Equal(sentAtPause, h.Api.CallsOf("sendMessage").Count());

        Assert.Equal(200, (int)(await api.PostAsync($"/api/v1/admin/broadcasts/{id}/resume", null)).StatusCode);
        await (await api.PostAsync($"/api/v1/admin/broadcasts/{id}/resume", null)).AssertProblem(409, "broadcast_not_paused");
        await BroadcastHarness.DriveAsync(h, async () => h.Api.CallsOf("sendMessage").Count() >= sentAtPause + 100, 100);

        var cancelled = await (await api.PostAsync($"/api/v1/admin/broadcasts/{id}/cancel", null)).ReadJson();
        Assert.Equal("Cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(0, cancelled.GetProperty("remaining").GetInt32());
        var atCancel = h.Api.CallsOf("sendMessage").Count();
        await BroadcastHarness.DriveAsync(h, () => Task.FromResult(false), 20);
        var sent = h.Api.CallsOf("sendMessage").Count();
        Assert.Equal(atCancel, sent);
        var view = await (await api.GetAsync($"/api/v1/admin/broadcasts/{id}")).ReadJson();
        Assert.Equal(sent, view.GetProperty("sent").GetInt32());
        Assert.Equal(400 - sent, view.GetProperty("cancelled").GetInt32());
        Assert.True(sent < 400);
        Assert.Equal(sent, h.Api.CallsOf("sendMessage").Select(c => c.Str("chat_id")).Distinct().Count());
        await (await api.PostAsync($"/api/v1/admin/broadcasts/{id}/cancel", null)).AssertProblem(409, "broadcast_finished");
        await (await api.PostAsync("/api/v1/admin/broadcasts/999999/pause", null)).AssertProblem(404, "broadcast_not_found");
    }

    [Fact]
    public async Task A_tick_hands_over_no_more_than_the_rate_allows()
    {
        await using var h = await OutboxAppHost.StartAsync(("Outbox:BroadcastPerSecond", "10"));
        await BroadcastHarness.AddUsersAsync(h.App, 200);
        var id = await StartAsync(h, new { text = "hi", segment = "all" });
        await JobSteps.DrainAsync(h.App);
        var handed = await h.App.WithDb(db => db.BroadcastRecipients.CountAsync(r => r.BroadcastId == id && r.State != RecipientState.Pending));
        Assert.Equal(10, handed);
        h.Advance(TimeSpan.FromSeconds(1));
        await JobSteps.DrainAsync(h.App);
        Assert.Equal(20, await h.App.WithDb(db => db.BroadcastRecipients.CountAsync(r => r.BroadcastId == id && r.State != RecipientState.Pending)));
    }

    [Fact]
    public async Task Paid_broadcasts_go_past_the_free_rate_with_allow_paid_broadcast()
    {
        await using var h = await OutboxAppHost.StartAsync(("Outbox:GlobalPerSecond", "30"), ("Outbox:BroadcastPerSecond", "25"));
        await BroadcastHarness.AddUsersAsync(h.App, 300);
        var id = await StartAsync(h, new { text = "paid", segment = "all", allow_paid_broadcast = true });
        await JobSteps.DrainAsync(h.App);
        for (var r = await h.RunOnce(); r.Claimed > 0; r = await h.RunOnce()) { }
        var sends = h.Api.CallsOf("sendMessage").ToList();
        Assert.Equal(300, sends.Count);
        Assert.All(sends, c => Assert.Equal("true", c.Str("allow_paid_broadcast")));
        Assert.Equal(BroadcastStatus.Running, (await BroadcastHarness.GetAsync(h.App, id)).Status);
    }
}
