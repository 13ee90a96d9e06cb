using System.Text.Json.Nodes;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Raffles;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Raffles;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Channels.WhatsApp;

public sealed class WhatsAppConversationTests(WhatsAppAppFactory factory) : IClassFixture<WhatsAppAppFactory>
{
    private static int _n;
    private static string NewNumber(string prefix = "1650777") => $"{prefix}{Interlocked.Increment(ref _n):D4}";

    private async Task<JsonObject> Say(JsonObject payload)
    {
        await factory.Deliver(payload);
        var sent = factory.TakeSent();
        if (sent.Count == 0)
        {
            var last = await factory.WithDb(db => db.InboundUpdates.AsNoTracking().Where(u => u.Channel == ChatChannel.WhatsApp).OrderByDescending(u => u.Id).FirstAsync());
            var rows = await factory.WithDb(db => db.Outbox.AsNoTracking().OrderByDescending(m => m.Id).Take(2).Select(m => m.Status + " " + m.LastError).ToListAsync());
            Assert.Fail($"No reply: update {last.Status} {last.Error}; outbox {string.Join(" | ", rows)}");
        }
        return sent.Last();
    }

    private async Task<Raffle> RaffleAsync()
    {
        var existing = await factory.WithDb(db => db.Raffles.AsNoTracking().FirstOrDefaultAsync(r => r.Title == "WA raffle"));
        if (existing is not null) return existing;
        var r = await RaffleTestData.ActiveAsync(factory, 1, 100, max: 5, price: 2_00);
        await factory.WithDb(db => db.Raffles.Where(x => x.Id == r.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Title, "WA raffle")));
        return r;
    }

    [Fact]
    public async Task From_menu_to_confirmed_tickets_with_typed_words_buttons_and_a_photo_proof()
    {
        var raffle = await RaffleAsync();
        var from = NewNumber();

        var menu = await Say(WhatsAppTestData.Text(from, "menu"));
        Assert.Contains("raf:l", WhatsAppTestData.ChoicesOf(menu));
        var list = await Say(WhatsAppTestData.ListReply(from, "raf:l", "Raffles"));
        Assert.Contains("1. WA raffle", WhatsAppTestData.TextOf(list));
        var card = await Say(WhatsAppTestData.Text(from, "1"));
        Assert.Contains("001–100", WhatsAppTestData.TextOf(card));
        Assert.Contains($"raf:rnd:{raffle.Id}:3", WhatsAppTestData.ChoicesOf(card));

        var unknown = await Say(WhatsAppTestData.Text(from, "blue please"));
        Assert.Contains("raffles", WhatsAppTestData.TextOf(unknown));

        // The class shares one raffle and other tests hold random numbers in it: take three still free.
        var free = (await RaffleTestData.TicketsAsync(factory, raffle.Id)).Where(t => t.Value == TicketStatus.Available).Select(t => t.Key).Order().ToArray();
        int[] picks = [free[0], free[free.Length / 2], free[^1]];
        var typed = string.Join(",", picks);
        var shown = string.Join(", ", picks.Select(n => n.ToString("D3")));
        var held = await Say(WhatsAppTestData.Text(from, typed));
        Assert.Contains(shown, WhatsAppTestData.TextOf(held));
        Assert.Equal("button", held["interactive"]!["type"]!.GetValue<string>());
        var order = await factory.WithDb(db => db.RaffleOrders.AsNoTracking().SingleAsync(o => o.RaffleId == raffle.Id && o.Numbers == typed));
        Assert.Contains($"raf:ok:{order.Id}", WhatsAppTestData.ChoicesOf(held));

        var pay = await Say(WhatsAppTestData.ButtonReply(from, $"raf:ok:{order.Id}", "Confirm"));
        Assert.Contains("6.00 USD", WhatsAppTestData.TextOf(pay));
        factory.Graph.Media["media-778"] = [0xff, 0xd8, 0xff, 0xe0];
        var thanks = await Say(WhatsAppTestData.Image(from, "media-778"));
        Assert.Contains($"#{order.Id}", WhatsAppTestData.TextOf(thanks));
        var pending = await RaffleTestData.OrderAsync(factory, order.Id);
        Assert.Equal(RaffleOrderStatus.PendingPayment, pending.Status);
        Assert.Equal([0xff, 0xd8, 0xff, 0xe0], await File.ReadAllBytesAsync(pending.ProofPath!));
        Assert.Equal("image/jpeg", pending.ProofContentType);

        var confirmed = await factory.AdminClient().PostAsync($"/api/v1/raffle-orders/{order.Id}/confirm-payment", null);
        Assert.Equal(200, (int)confirmed.StatusCode);
        await factory.SendOutbox();
        var notice = Assert.Single(factory.TakeSent());
        Assert.Equal("text", notice["type"]!.GetValue<string>());
        Assert.Contains($"*{shown}*", WhatsAppTestData.TextOf(notice));
        var tickets = await RaffleTestData.TicketsAsync(factory, raffle.Id);
        Assert.All(picks, n => Assert.Equal(TicketStatus.Sold, tickets[n]));
    }

    [Fact]
    public async Task A_spanish_number_gets_spanish_texts_and_cancel_frees_the_numbers()
    {
        var raffle = await RaffleAsync();
        var from = NewNumber("34600");
        await Say(WhatsAppTestData.Text(from, "raffles"));
        var card = await Say(WhatsAppTestData.Text(from, "1"));
        Assert.Contains("Premio", WhatsAppTestData.TextOf(card));
        var held = await Say(WhatsAppTestData.Text(from, "random 2"));
        Assert.Contains("reservados", WhatsAppTestData.TextOf(held));
        var cancelled = await Say(WhatsAppTestData.Text(from, "cancelar"));
        Assert.Contains("cancelado", WhatsAppTestData.TextOf(cancelled));
        var user = await factory.WithDb(db => db.Users.SingleAsync(u => u.Channel == ChatChannel.WhatsApp && u.ExternalId == from));
        Assert.False(await factory.WithDb(db => db.RaffleOrders.AnyAsync(o => o.UserId == user.Id && o.Status != RaffleOrderStatus.Cancelled)));
        await RaffleTestData.AssertNoTicketInTwoOrdersAsync(factory, raffle.Id);
    }

    [Fact]
    public async Task After_24_hours_a_notification_goes_as_its_template_or_is_marked_undeliverable_with_the_reason()
    {
        var raffle = await RaffleAsync();
        var a = NewNumber();
        var b = NewNumber();
        foreach (var from in new[] { a, b })
        {
            await Say(WhatsAppTestData.Text(from, "raffles"));
            await Say(WhatsAppTestData.Text(from, "1"));
            await Say(WhatsAppTestData.Text(from, "random 1"));
            await Say(WhatsAppTestData.Text(from, "confirm"));
        }
        long OrderOf(string from) => factory.WithDb(db => db.RaffleOrders.Where(o => db.Users.Any(u => u.Id == o.UserId && u.ExternalId == from))
            .Select(o => o.Id).SingleAsync()).GetAwaiter().GetResult();
        var orderA = OrderOf(a);
        var orderB = OrderOf(b);
        // Proofs keep the holds while the operator takes a day and a half.
        factory.Graph.Media["media-a"] = [1, 2, 3];
        factory.Graph.Media["media-b"] = [4, 5, 6];
        await Say(WhatsAppTestData.Image(a, "media-a"));
        await Say(WhatsAppTestData.Image(b, "media-b"));
        factory.Clock.Advance(TimeSpan.FromHours(36));
        var api = factory.AdminClient();

        Assert.Equal(200, (int)(await api.PostAsync($"/api/v1/raffle-orders/{orderA}/confirm-payment", null)).StatusCode);
        Assert.Equal(200, (int)(await api.PostAsync($"/api/v1/raffle-orders/{orderB}/cancel", null)).StatusCode);
        await factory.SendOutbox();

        var sent = Assert.Single(factory.TakeSent());
        Assert.Equal("template", sent["type"]!.GetValue<string>());
        Assert.Equal(a, sent["to"]!.GetValue<string>());
        Assert.Equal("payment_confirmed", sent["template"]!["name"]!.GetValue<string>());
        Assert.Equal("en_US", sent["template"]!["language"]!["code"]!.GetValue<string>());
        var parameters = sent["template"]!["components"]![0]!["parameters"]!.AsArray().Select(x => x!["text"]!.GetValue<string>()).ToList();
        Assert.Equal(orderA.ToString(), parameters[0]);
        var undeliverable = await factory.WithDb(db => db.Outbox.AsNoTracking().SingleAsync(m => m.ChatId == b && m.Template != null));
        Assert.Equal(OutboxStatus.Failed, undeliverable.Status);
        Assert.Equal("undeliverable", undeliverable.DeliveryStatus);
        Assert.Contains("24-hour window", undeliverable.LastError);
        Assert.Contains("WhatsApp:Templates:raffle_order_cancelled", undeliverable.LastError);
        var view = await (await api.GetAsync($"/api/v1/admin/outbox/{undeliverable.Id}")).ReadJson();
        Assert.Equal("undeliverable", view.GetProperty("deliveryStatus").GetString());

        // Writing again opens the window: free-form messages go once more.
        var back = await Say(WhatsAppTestData.Text(b, "menu"));
        Assert.Equal("interactive", back["type"]!.GetValue<string>());
    }
}
