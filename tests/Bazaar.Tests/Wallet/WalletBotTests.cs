using System.Net;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Payments;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Wallet;

public sealed class WalletBotTests(DepositBotAppFactory app) : IClassFixture<DepositBotAppFactory>
{
    private async Task Credit(long userId, decimal amount, string reason = "welcome bonus")
    {
        using var client = app.AdminClient();
        var r = await client.PostJson($"/api/v1/admin/wallets/{userId}/adjust", new { amount, currency = "USD", reason });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task Wallet_shows_balance_movements_and_a_deposit_button_in_english()
    {
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/wallet"));
        var empty = await app.LastPayload(tg, "sendMessage");
        Assert.Contains("Your wallet", empty["text"]!.GetValue<string>());
        Assert.Contains("Balance: 0.00 USD", empty["text"]!.GetValue<string>());
        Assert.Contains("No movements yet.", empty["text"]!.GetValue<string>());
        Assert.Equal(["wallet:deposit"], DepositBotAppFactory.Buttons(empty));

        var user = await app.UserOf(tg);
        await Credit(user.Id, 20m);
        await app.Send(Updates.Text(tg, "/wallet"));
        var text = (await app.LastPayload(tg, "sendMessage"))["text"]!.GetValue<string>();
        Assert.Contains("Balance: <b>20.00 USD</b>", text);
        Assert.Contains("+20.00 USD · Adjustment", text);
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task Wallet_and_balance_speak_russian_to_a_russian_user()
    {
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/wallet", lang: "ru"));
        var user = await app.UserOf(tg);
        await Credit(user.Id, 7.5m);
        await app.Send(Updates.Text(tg, "/balance", lang: "ru"), Updates.Text(tg, "/wallet", lang: "ru"));

        var texts = await app.TextsFor(tg);
        Assert.Equal(3, texts.Count);
        Assert.Contains("Ваш кошелёк", texts[0]);
        Assert.Contains("В кошельке пока пусто.", texts[0]);
        Assert.Contains("Ваш баланс", texts[1]);
        Assert.Contains("Баланс: <b>7.50 USD</b>", texts[1]);
        Assert.Contains("+7.50 USD · Корректировка", texts[2]);
        Assert.Equal("➕ Пополнить", (await app.LastPayload(tg, "sendMessage"))["reply_markup"]!["inline_keyboard"]![0]![0]!["text"]!.GetValue<string>());
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task Balance_in_english_lists_money_and_the_lines_other_features_add()
    {
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/balance"));
        var user = await app.UserOf(tg);
        await Credit(user.Id, 3m);
        app.Credits.ByUser[user.Id] = 4;
        await app.Send(Updates.Text(tg, "/balance"));

        var texts = await app.TextsFor(tg);
        Assert.Contains("Your balance", texts[0]);
        Assert.Contains("Your wallet is empty.", texts[0]);
        Assert.DoesNotContain("Credits", texts[0]);
        Assert.Contains("Balance: <b>3.00 USD</b>", texts[1]);
        Assert.EndsWith("Credits: 4", texts[1]);
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task Start_menu_has_a_wallet_button_that_opens_the_wallet_in_place()
    {
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/start"));
        var menu = await app.LastPayload(tg, "sendMessage");
        Assert.Equal(["conv:help", "wallet:show"], DepositBotAppFactory.Buttons(menu).Take(2)); // later features add theirs after

        await app.Send(Updates.Callback(tg, "wallet:show", messageId: 55));
        var rows = await app.OutboxFor(tg);
        Assert.Contains(rows, m => m.Method == "answerCallbackQuery" && m.Urgent);
        var edit = await app.LastPayload(tg, "editMessageText");
        Assert.Equal(55, edit["message_id"]!.GetValue<int>());
        Assert.Contains("Your wallet", edit["text"]!.GetValue<string>());
        Assert.Equal(["wallet:deposit"], DepositBotAppFactory.Buttons(edit));
    }

    [Fact]
    public async Task Wallet_and_balance_are_listed_in_help_and_deposits_is_not()
    {
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/help"));
        var help = (await app.TextsFor(tg)).Single();
        Assert.Contains("/wallet — Your wallet", help);
        Assert.Contains("/balance — Your balances", help);
        Assert.DoesNotContain("/deposits", help);
    }

    [Fact]
    public async Task A_user_marked_blocked_who_writes_again_is_unblocked_and_answered()
    {
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/start"));
        var blockedAt = app.Clock.GetUtcNow().UtcDateTime;
        await app.WithDb(db => db.Users.Where(u => u.ExternalId == tg.ToString())
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.IsBlocked, true).SetProperty(u => u.BlockedAt, blockedAt)));

        await app.Send(Updates.Text(tg, "/balance"));

        var user = await app.UserOf(tg);
        Assert.False(user.IsBlocked);
        Assert.Null(user.BlockedAt);
        Assert.Contains("Your balance", (await app.TextsFor(tg)).Last());
    }
}
