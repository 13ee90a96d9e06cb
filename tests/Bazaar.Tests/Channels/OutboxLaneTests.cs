using Bazaar.Server.Channels;

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
}
