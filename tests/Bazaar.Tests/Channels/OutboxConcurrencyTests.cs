using Bazaar.Server.Channels;
using Bazaar.Tests.Fakes;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Channels;

public sealed class OutboxConcurrencyTests
{
    // The processes pace differently, so they claim different prefixes of the same chat queues and must not overtake each other.
    private static (string, string)[] Paced(int burst) =>
        [("Outbox:GlobalPerSecond", "100000"), ("Outbox:PrivateChatBurst", burst.ToString()), ("Outbox:BatchSize", "60")];

    [Fact]
    public async Task Senders_in_two_processes_racing_send_each_message_once_and_in_chat_order()
    {
        await using var api = await FakeBotApi.StartAsync();
        await using var database = await TestDatabase.CreateAsync();
        await using var one = await OutboxAppHost.StartAsync(api, database, Paced(2));
        await using var two = await OutboxAppHost.StartAsync(api, database, Paced(5));
        var chats = Enumerable.Range(1, 30).Select(i => (5000 + i).ToString()).ToList();
        await one.Enqueue(o => chats.SelectMany(c => Enumerable.Range(1, 8).Select(n => o.SendText(OutboxAppHost.Chat(c), $"{c}/{n}"))).ToList());

        // Two loops per process, all stepping at once, each with its own scopes and connections.
        var senders = new[]
        {
            one.Sender, ActivatorUtilities.CreateInstance<OutboxSender>(one.App.Services),
            two.Sender, ActivatorUtilities.CreateInstance<OutboxSender>(two.App.Services),
        };
        for (var round = 0; round < 100; round++)
        {
            await Task.WhenAll(senders.Select(s => Task.Run(() => s.RunOnceAsync(CancellationToken.None))));
            if (await one.App.WithDb(db => db.Outbox.AllAsync(m => m.Status == OutboxStatus.Sent))) break;
            one.Advance(TimeSpan.FromSeconds(10));
            two.Advance(TimeSpan.FromSeconds(10));
        }

        var texts = api.CallsOf("sendMessage").Select(c => c.Str("text")!).ToList();
        Assert.Equal(240, texts.Count);
        Assert.Equal(240, texts.Distinct().Count());
        foreach (var c in chats)
        {
            Assert.Equal(Enumerable.Range(1, 8).Select(n => $"{c}/{n}"), one.SentTexts(c));
        }
        Assert.True(await one.App.WithDb(db => db.Outbox.AllAsync(m => m.Status == OutboxStatus.Sent && m.Attempts == 1 && m.LockedBy == null)));
    }

    [Fact]
    public async Task A_restart_loses_no_queued_message_and_takes_over_a_dead_senders_claim_after_its_lease()
    {
        await using var api = await FakeBotApi.StartAsync();
        await using var database = await TestDatabase.CreateAsync();
        long crashed;
        await using (var before = await OutboxAppHost.StartAsync(api, database))
        {
            api.FailEverything(500, "Internal Server Error");
            await before.Texts("1", "1/a", "1/b", "1/c");
            await before.Texts("2", "2/a", "2/b");
            crashed = (await before.Texts("9", "9/a")).Single();
            await before.RunOnce();
            Assert.Equal(3, api.CallsOf("sendMessage").Count());

            // A sender that claimed a row and died before it could record anything.
            var lease = before.Now.AddSeconds(120);
            await before.App.WithDb(db => db.Outbox.Where(m => m.Id == crashed).ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Status, OutboxStatus.Sending)
                .SetProperty(m => m.LockedBy, "dead-sender")
                .SetProperty(m => m.LockedUntil, lease)));
        }
        api.Recover();
        api.Clear();

        await using var after = await OutboxAppHost.StartAsync(api, database, ("Outbox:Enabled", "true"));
        after.Advance(TimeSpan.FromSeconds(5));
        // The loop may have been mid-round when the clock moved, so nudge it until it has looked again.
        await OutboxSenderTests.Eventually(() => after.Nudge() && after.SentTexts("1").Count == 3 && after.SentTexts("2").Count == 2);
        Assert.Equal(["1/a", "1/b", "1/c"], after.SentTexts("1"));
        Assert.Equal(["2/a", "2/b"], after.SentTexts("2"));
        Assert.Empty(after.SentTexts("9"));
        Assert.Equal(OutboxStatus.Sending, (await after.Row(crashed)).Status);

        after.Advance(TimeSpan.FromSeconds(120));
        await OutboxSenderTests.Eventually(() => after.Nudge() && after.SentTexts("9").Count == 1);
        await OutboxSenderTests.Eventually(async () => (await after.Row(crashed)).Status == OutboxStatus.Sent);
        Assert.Equal(6, api.CallsOf("sendMessage").Count());
    }

    [Fact]
    public async Task A_sender_does_not_send_a_row_another_sender_took_over()
    {
        await using var h = await OutboxAppHost.StartAsync();
        var ids = await h.Texts("1001", "m1", "m2");
        // While m1 is on the wire, m2's claim passes to another sender (as after a lease expiry).
        h.Api.AnswerWith("sendMessage", call =>
        {
            if (call.Str("text") == "m1")
            {
                h.App.WithDb(db => db.Outbox.Where(m => m.Id == ids[1]).ExecuteUpdateAsync(s => s
                    .SetProperty(m => m.LockedBy, "other-sender"))).GetAwaiter().GetResult();
            }
            return new System.Text.Json.Nodes.JsonObject
            {
                ["message_id"] = 1, ["date"] = 0, ["chat"] = new System.Text.Json.Nodes.JsonObject { ["id"] = 1001, ["type"] = "private" },
            };
        });

        await h.RunOnce();

        Assert.Equal(["m1"], h.SentTexts("1001"));
        var taken = await h.Row(ids[1]);
        Assert.Equal((OutboxStatus.Sending, "other-sender"), (taken.Status, taken.LockedBy));
    }
}
