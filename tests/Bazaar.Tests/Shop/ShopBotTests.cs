using System.Text.Json.Nodes;
using Bazaar.Server.Data;
using Bazaar.Server.Shop;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Shop;

public sealed class ShopBotTests(ShopAppFactory factory) : IClassFixture<ShopAppFactory>
{
    private async Task<(long City, long District, long Category)> Catalog()
    {
        return await factory.WithDb(async db =>
        {
            var city = new Location { Name = $"City {Guid.NewGuid():N}"[..12] };
            db.ShopLocations.Add(city);
            await db.SaveChangesAsync();
            var district = new Location { Name = "Centre", ParentId = city.Id };
            var category = new Category { Name = $"Cat {Guid.NewGuid():N}"[..10] };
            db.ShopLocations.Add(district);
            db.ShopCategories.Add(category);
            await db.SaveChangesAsync();
            return (city.Id, district.Id, category.Id);
        });
    }

    private async Task<JsonObject> Last(long chat, params string[] methods) =>
        JsonNode.Parse((await factory.OutboxFor(chat)).Last(m => methods.Contains(m.Method)).Payload)!.AsObject();

    private async Task<List<string>> LastButtons(long chat) =>
        ShopTestData.Buttons((await factory.OutboxFor(chat)).Last(m => m.Method is "sendMessage" or "editMessageText" or "sendPhoto").Payload);

    [Fact]
    public async Task The_whole_chat_flow_from_shop_to_delivery_and_orders()
    {
        var (city, district, category) = await Catalog();
        var product = await ShopTestData.ProductAsync(factory, units: 1, price: 20_00, kind: ProductKind.UniqueItem, discount: 25,
            location: district, category: category, configure: p => p.Photos.Add(new ProductPhoto { ContentType = "image/png", Content = DemoPng.Make(20, 10, 0x336699, 1) }));
        var user = Updates.NewUserId();

        await factory.Send(Updates.Text(user, "/start"));
        Assert.Contains(ShopBot.HomeCallback, await LastButtons(user));

        await factory.Send(Updates.Text(user, "/shop"));
        Assert.Contains($"shop:c:{city}", await LastButtons(user));
        await factory.Send(Updates.Callback(user, $"shop:c:{city}"));
        Assert.Equal([$"shop:g:{district}", ShopBot.HomeCallback], await LastButtons(user));
        await factory.Send(Updates.Callback(user, $"shop:g:{district}"));
        Assert.Contains($"shop:l:{district}:{category}:1", await LastButtons(user));
        Assert.Contains($"shop:c:{city}", await LastButtons(user)); // Back
        await factory.Send(Updates.Callback(user, $"shop:l:{district}:{category}:1"));
        Assert.Contains($"shop:p:{product.Id}:{district}:{category}:1", await LastButtons(user));
        await factory.Send(Updates.Callback(user, $"shop:p:{product.Id}:{district}:{category}:1"));

        var card = await Last(user, "sendPhoto");
        var caption = card["caption"]!.GetValue<string>();
        Assert.Contains("<s>20.00 USD</s> <b>15.00 USD</b> -25%", caption);
        Assert.Contains("In stock: 1", caption);
        Assert.Contains($"shop:l:{district}:{category}:1:r", ShopTestData.Buttons(card.ToJsonString())); // Back

        // Buy without money: the hold and the top-up button. A person reads the card first (buttons are limited to 5/s).
        factory.Clock.Advance(TimeSpan.FromSeconds(1.1));
        await factory.Send(Updates.Callback(user, ShopBot.BuyPrefix + product.Id));
        var reservation = await factory.WithDb(db => db.Reservations.AsNoTracking().SingleAsync(r => r.ProductId == product.Id));
        var held = await Last(user, "sendMessage");
        Assert.Contains("reserved for you for <b>15 min</b>", held["text"]!.GetValue<string>());
        Assert.Contains($"shop:x:{reservation.Id}", ShopTestData.Buttons(held.ToJsonString()));
        await factory.Send(Updates.Callback(user, $"shop:ok:{reservation.Id}"));
        Assert.Contains("Not enough money", (await Last(user, "sendMessage"))["text"]!.GetValue<string>());
        Assert.Contains("wallet:deposit", await LastButtons(user));

        var chatUser = await factory.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.ExternalId == user.ToString()));
        await ShopTestData.FundAsync(factory, chatUser.Id, 15_00);
        factory.Clock.Advance(TimeSpan.FromSeconds(1.1));
        await factory.Send(Updates.Callback(user, $"shop:ok:{reservation.Id}"));

        var outbox = await factory.OutboxFor(user);
        var order = await factory.WithDb(db => db.Orders.AsNoTracking().SingleAsync(o => o.ReservationId == reservation.Id));
        Assert.Contains(await factory.TextsFor(user), t => t.Contains($"Order #{order.Id}</b> paid"));
        var delivery = outbox.Last(m => m.Method == "sendPhoto");
        Assert.Contains("Item 0 behind the red door", JsonNode.Parse(delivery.Payload)!["caption"]!.GetValue<string>());
        var location = JsonNode.Parse(outbox.Last(m => m.Method == "sendLocation").Payload)!;
        Assert.Equal(52.23, location["latitude"]!.GetValue<double>());
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, chatUser.Id));

        // The outbox really sends them through the Bot API.
        var sender = factory.Services.GetRequiredServiceExt<Bazaar.Server.Channels.OutboxSender>();
        for (var i = 0; i < 60 && !factory.Bot.CallsOf("sendLocation").Any(c => c.Str("chat_id") == user.ToString()); i++)
        {
            await sender.RunOnceAsync(default);
            factory.Clock.Advance(TimeSpan.FromSeconds(1.1));
        }
        var states = string.Join("; ", (await factory.OutboxFor(user)).Select(m => $"{m.Method}:{m.Status}:{m.LastError}"));
        Assert.True(factory.Bot.CallsOf("sendLocation").Any(c => c.Str("chat_id") == user.ToString()), states);

        factory.Clock.Advance(TimeSpan.FromMinutes(1)); // past the per-minute rate limit of this busy test user
        await factory.Send(Updates.Text(user, "/orders"));
        Assert.Contains($"shop:o:{order.Id}", await LastButtons(user));
        var before = (await factory.OutboxFor(user)).Count(m => m.Method == "sendLocation");
        await factory.Send(Updates.Callback(user, $"shop:o:{order.Id}"));
        Assert.Equal(before + 1, (await factory.OutboxFor(user)).Count(m => m.Method == "sendLocation"));

        // Another user cannot open this order's delivery.
        var stranger = Updates.NewUserId();
        await factory.Send(Updates.Callback(stranger, $"shop:o:{order.Id}"));
        Assert.DoesNotContain(await factory.OutboxFor(stranger), m => m.Method is "sendLocation" or "sendPhoto");
    }

    [Fact]
    public async Task The_last_unit_pressed_by_two_users_sells_once_and_the_other_is_told_it_was_just_sold()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 1, price: 1_00);
        var a = Updates.NewUserId();
        var b = Updates.NewUserId();
        await factory.Send(Updates.Text(a, "/start"), Updates.Text(b, "/start"));
        await factory.Send(Updates.Callback(a, ShopBot.BuyPrefix + product.Id), Updates.Callback(b, ShopBot.BuyPrefix + product.Id));
        var answers = (await factory.OutboxFor(b)).Where(m => m.Method == "answerCallbackQuery").Select(m => JsonNode.Parse(m.Payload)!["text"]?.GetValue<string>()).ToList();
        Assert.Contains(answers, t => t is not null && t.Contains("this was just sold"));
    }

    [Fact]
    public async Task Admin_commands_work_for_admins_and_answer_unknown_command_to_others()
    {
        var product = await ShopTestData.ProductAsync(factory, units: 2, price: 10_00);
        var customer = Updates.NewUserId();
        await factory.Send(Updates.Text(customer, "/inventory"), Updates.Text(customer, "/set_discount"));
        var texts = await factory.TextsFor(customer);
        Assert.Contains(texts, t => t.Contains("I don't know the command /inventory"));
        Assert.Contains(texts, t => t.Contains("I don't know the command /set_discount"));

        var admin = BotAppFactory.AdminUserId;
        await factory.Send(Updates.Text(admin, "/inventory"));
        Assert.Contains(await factory.TextsFor(admin), t => t.Contains($"#{product.Id} {product.Name}: 2 / 0"));
        await factory.Send(Updates.Callback(admin, $"shop:inv:{product.Id}"), Updates.Text(admin, "NEW-KEY-1\nNEW-KEY-2\n"));
        Assert.Contains(await factory.TextsFor(admin), t => t.Contains("Added 2 unit(s)") && t.Contains("Free now: 4"));

        await factory.Send(Updates.Text(admin, "/set_discount"), Updates.Callback(admin, $"shop:disc:{product.Id}"), Updates.Text(admin, "95"), Updates.Text(admin, "30%"));
        var adminTexts = await factory.TextsFor(admin);
        Assert.Contains(adminTexts, t => t.Contains("whole number from 0 to 90"));
        Assert.Contains(adminTexts, t => t.Contains("now costs 7.00 USD (-30%)"));
        Assert.Equal(30, await factory.WithDb(db => db.Products.Where(p => p.Id == product.Id).Select(p => p.DiscountPercent).SingleAsync()));
    }
}

internal static class ServiceProviderExt
{
    public static T GetRequiredServiceExt<T>(this IServiceProvider sp) where T : notnull =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<T>(sp);
}
