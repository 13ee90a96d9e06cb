using Bazaar.Server.Conversations;

namespace Bazaar.Server.Wallet;

/// <summary>The wallet in the bot: /wallet (and the menu's Wallet button), /balance, and the Deposit button.</summary>
public static class WalletBot
{
    public static void Register(BotRoutes r) => r
        .Command<WalletScreens>("wallet", ShowWallet, WalletTexts.WalletCommand)
        .Command<WalletScreens>("balance", ShowBalance, WalletTexts.BalanceCommand)
        .MenuButton(WalletTexts.WalletButton, WalletScreens.BackCallback)
        .Callback<WalletScreens>(WalletScreens.BackCallback, ShowWallet)
        .Callback<WalletScreens>(WalletScreens.DepositCallback, ChooseMethod);

    private static async Task ShowWallet(WalletScreens screens, BotContext ctx)
    {
        var screen = await screens.WalletAsync(ctx.User.Id, ctx.CancellationToken);
        ctx.AnswerCallback();
        if (ctx.CallbackData is not null) ctx.EditOrReply(screen.Text, screen.Keyboard);
        else ctx.Reply(screen.Text, screen.Keyboard);
    }

    private static async Task ShowBalance(WalletScreens screens, BotContext ctx) =>
        ctx.Reply(await screens.BalanceTextAsync(ctx.User.Id, ctx.CancellationToken));

    private static Task ChooseMethod(WalletScreens screens, BotContext ctx)
    {
        var screen = screens.DepositMethods(ctx.Language, ctx.Channel);
        ctx.AnswerCallback();
        ctx.EditOrReply(screen.Text, screen.Keyboard);
        return Task.CompletedTask;
    }
}
