using Bazaar.Server.Data;
using Bazaar.Server.Wallet;
using Bazaar.Tests.Payments;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Wallet;

public sealed class WalletScreensTests(PaymentsAppFactory factory) : IClassFixture<PaymentsAppFactory>
{
    private async Task<T> WithScreens<T>(Func<WalletScreens, Task<T>> work)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<WalletScreens>());
    }

    private async Task Credit(long userId, long amount, string kind = "deposit")
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var r = await scope.ServiceProvider.GetRequiredService<Ledger>()
            .TransferAsync(AccountRef.DepositsClearing("test"), AccountRef.Wallet(userId), amount, "USD", kind, null, default);
        Assert.True(r.Ok);
    }

    [Fact]
    public async Task The_wallet_screen_shows_balance_recent_movements_and_a_deposit_button_in_the_users_language()
    {
        var user = await MoneyTestData.CreateUserAsync(factory, "ru");
        await Credit(user.Id, 12_50);
        await using (var scope = factory.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<Ledger>()
                .TransferAsync(AccountRef.Wallet(user.Id), AccountRef.SalesRevenue, 2_00, "USD", "purchase", null, default);

        var screen = await WithScreens(s => s.WalletAsync(user.Id, default));

        Assert.Contains("Ваш кошелёк", screen.Text);
        Assert.Contains("<b>10.50 USD</b>", screen.Text);
        Assert.Contains("+12.50 USD · Пополнение", screen.Text);
        Assert.Contains("−2.00 USD · Покупка", screen.Text);
        var button = screen.Keyboard!.InlineKeyboard.SelectMany(r => r).Single();
        Assert.Equal("➕ Пополнить", button.Text);
        Assert.Equal("wallet:deposit", button.CallbackData);
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task An_empty_wallet_says_so_and_balance_text_lists_each_currency()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var empty = await WithScreens(s => s.WalletAsync(user.Id, default));
        Assert.Contains("Your wallet is empty.", empty.Text);
        Assert.Contains("No movements yet.", empty.Text);

        await Credit(user.Id, 7_05);
        var balance = await WithScreens(s => s.BalanceTextAsync(user.Id, default));
        Assert.Contains("Your balance", balance);
        Assert.Contains("7.05 USD", balance);
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task The_deposit_choice_lists_the_configured_methods_with_callback_data()
    {
        var telegram = await WithScreens(s => Task.FromResult(s.DepositMethods("en")));
        var data = telegram.Keyboard!.InlineKeyboard.SelectMany(r => r).Select(b => b.CallbackData).ToList();
        Assert.Equal(["wallet:deposit:manual_bank", "wallet:deposit:manual_blik", "wallet:deposit:btc", "wallet:deposit:ltc",
            "wallet:deposit:stars", "wallet:deposit:stripe", "wallet:deposit:robokassa", "wallet:show"], data);
        Assert.Equal(WalletTexts.ChooseMethod.En, telegram.Text);

        var whatsapp = await WithScreens(s => Task.FromResult(s.DepositMethods("ru", ChatChannel.WhatsApp)));
        Assert.DoesNotContain(whatsapp.Keyboard!.InlineKeyboard.SelectMany(r => r), b => b.CallbackData == "wallet:deposit:stars");
        Assert.Equal(WalletTexts.ChooseMethod.Ru, whatsapp.Text);
    }
}
