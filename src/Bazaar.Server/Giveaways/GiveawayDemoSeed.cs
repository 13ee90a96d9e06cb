using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Giveaways;

/// <summary>
/// A running giveaway to join in the sandbox (/giveaways, or the post in Alice's chat) with one required channel,
/// @bazaar_demo_channel, whose getChatMember answers come from Giveaways:SandboxChatMembers (Development: 1001 and
/// everyone else are members, 1002 has left, 1003 is kicked, 1004 is restricted without membership).
/// </summary>
internal sealed class GiveawayDemoSeed(TimeProvider clock) : IDemoSeed
{
    public const string DemoChannel = "@bazaar_demo_channel";

    public async Task SeedAsync(BazaarDb db, CancellationToken ct)
    {
        if (await db.Giveaways.AnyAsync(ct)) return;
        var now = clock.GetUtcNow().UtcDateTime;
        var g = GiveawayApi.New(new GiveawayApi.GiveawayRequest("🎧 Headphones giveaway",
            "Join, pass a one-time check and stay subscribed to Bazaar news. Three winners, drawn provably fair.",
            "Wireless headphones", 3, now.AddHours(-1), now.AddDays(7),
            RequiredChannels: [new GiveawayApi.ChannelRequest(DemoChannel, "Bazaar news", "https://t.me/bazaar_demo_channel")],
            NotifyNonWinners: true), now);
        g.Status = GiveawayStatus.Published;
        db.Giveaways.Add(g);
        await db.SaveChangesAsync(ct);
        // The post goes to sandbox user 1001's chat, where the page shows it with its Join button.
        new GiveawayPosts(db, new Outbox(db, clock), clock, Microsoft.Extensions.Options.Options.Create(new GiveawayOptions())).Publish(g, ChatChannel.Sandbox, "1001");
        await db.SaveChangesAsync(ct);
    }
}
