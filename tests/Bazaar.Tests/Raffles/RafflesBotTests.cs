using System.Text.Json.Nodes;
using Bazaar.Server.Raffles;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Shop;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Raffles;

public sealed class RafflesBotTests(RafflesAppFactory factory) : IClassFixture<RafflesAppFactory>
{
    private static List<string> Labels(string payload) =>
        (JsonNode.Parse(payload)!["reply_markup"]?["inline_keyboard"]?.AsArray() ?? []).SelectMany(r => r!.AsArray())
            .Select(b => b!["text"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task Telegram_raffles_shows_a_paged_number_grid_with_taken_numbers_marked_and_reserves_the_picked_ones()
    {
        var raffle = await RaffleTestData.ActiveAsync(factory, 1, 100, max: 5);
        var other = await Wallet.MoneyTestData.CreateUserAsync(factory);
        Assert.True((await factory.Reserve(other.Id, raffle.Id, TicketPick.Parse("2")!)).Ok);
        var user = Updates.NewUserId();

        await factory.Send(Updates.Text(user, "/raffles"));
        Assert.Contains($"raf:v:{raffle.Id}", ShopTestData.Buttons((await factory.OutboxFor(user)).Last().Payload));
        await factory.Send(Updates.Callback(user, $"raf:v:{raffle.Id}"));
        var card = (await factory.OutboxFor(user)).Last(m => m.Method == "sendMessage");
        var buttons = ShopTestData.Buttons(card.Payload);
        Assert.Contains($"raf:t:{raffle.Id}:1:1", buttons);
        Assert.DoesNotContain($"raf:t:{raffle.Id}:2:1", buttons);
        Assert.Contains("✖002", Labels(card.Payload));
        Assert.Contains($"raf:g:{raffle.Id}:2", buttons); // next page

        await factory.Send(Updates.Callback(user, $"raf:t:{raffle.Id}:7:1"));
        await factory.Send(Updates.Callback(user, $"raf:t:{raffle.Id}:9:1"));
        var edited = (await factory.OutboxFor(user)).Last(m => m.Method == "editMessageText");
        Assert.Contains("✅007", Labels(edited.Payload));
        await factory.Send(Updates.Callback(user, $"raf:r:{raffle.Id}"));

        var order = await factory.WithDb(db => db.RaffleOrders.AsNoTracking().SingleAsync(o => o.RaffleId == raffle.Id && o.Numbers == "7,9"));
        Assert.Equal(RaffleOrderStatus.Draft, order.Status);
        Assert.Contains("007, 009", (await factory.TextsFor(user)).Last());
        await factory.Send(Updates.Text(user, "confirm"));
        Assert.Equal(RaffleOrderStatus.PendingPayment, (await RaffleTestData.OrderAsync(factory, order.Id)).Status);
        await factory.Send(Updates.Text(user, "hello?"));
        Assert.Contains("photo or PDF", (await factory.TextsFor(user)).Last());
        await factory.Send(Updates.Text(user, "cancel"));
        Assert.Equal(RaffleOrderStatus.Cancelled, (await RaffleTestData.OrderAsync(factory, order.Id)).Status);
    }
}
