using Bazaar.Server.Channels;
using Bazaar.Server.Operations;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Channels;

public sealed class OutboxLaneTests
{
    [Fact]
    public async Task Broadcast_rows_keep_to_their_own_budget_and_replies_still_go()
    {
        await using var h = await OutboxAppHost.StartAsync(("Outbox:GlobalPerSecond", "30"), ("Outbox:BroadcastPerSecond", "5"));
        await h.Enqueue(o => Enumerable.Range(0, 20).Select(i =>
        {
            var m = o.SendText(OutboxAppHost.Chat((8_000 + i).ToString()), "bulk");
            m.Lane = OutboxLanes.Broadcast;
            return m;
        }).ToList());
        await h.Texts("1001", "reply");

        for (var r = await h.RunOnce(); r.Claimed > 0; r = await h.RunOnce()) { }

        Assert.Equal(5, h.Api.CallsOf("sendMessage").Count(c => c.Str("text") == "bulk"));
        Assert.Equal(["reply"], h.SentTexts("1001"));
        h.Advance(TimeSpan.FromSeconds(1));
        for (var r = await h.RunOnce(); r.Claimed > 0; r = await h.RunOnce()) { }
        Assert.Equal(10, h.Api.CallsOf("sendMessage").Count(c => c.Str("text") == "bulk"));
    }

    [Fact]
    public async Task While_the_global_rate_decides_the_sender_gathers_a_tenth_of_a_second_per_round_and_keeps_the_rate()
    {
        await using var h = await OutboxAppHost.StartAsync(("Outbox:Enabled", "true"), ("Outbox:PollSeconds", "3600"), ("Outbox:GlobalPerSecond", "100"));
        var metrics = h.App.Services.GetRequiredService<BazaarMetrics>();
        await h.Enqueue(o => Enumerable.Range(0, 300).Select(i => o.SendText(OutboxAppHost.Chat((20_000 + i).ToString()), "news")).ToList());
        h.Nudge();
        // The first second's worth goes at once; then the loop waits for the rate.
        await OutboxSenderTests.Eventually(() => h.Api.CallsOf("sendMessage").Count() == 100);
        await Task.Delay(200);
        var rounds = metrics.OutboxRounds;

        // Steps of 10 ms, a token each, until twenty more have gone (200 ms at the rate, a step or two more when a
        // round outlasts a step). Round by round that was a round a step, of a row or two each.
        var steps = 0;
        for (; steps < 40 && h.Api.CallsOf("sendMessage").Count() < 120; steps++)
        {
            h.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(40);
        }

        Assert.InRange(h.Api.CallsOf("sendMessage").Count(), 120, 123);
        Assert.InRange(steps, 20, 25);
        Assert.True(metrics.OutboxRounds - rounds <= 4, $"rounds {metrics.OutboxRounds - rounds} steps {steps} sent {h.Api.CallsOf("sendMessage").Count()} initial rounds {rounds}");
    }
}
