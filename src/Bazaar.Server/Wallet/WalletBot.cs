using Bazaar.Server.Conversations;

namespace Bazaar.Server.Wallet;

/// <summary>The wallet in the bot: /wallet (and the menu's Wallet button), /balance, and the Deposit button.</summary>
public static class WalletBot
{
    public static void Register(BotRoutes r) => r
        .Command("wallet", ShowWallet, WalletTexts.WalletCommand)
        .Command("balance", ShowBalance, WalletTexts.BalanceCommand)
        .MenuButton(WalletTexts.WalletButton, WalletScreens.BackCallback)
        .Callback(WalletScreens.BackCallback, ShowWallet)
        .Callback(WalletScreens.DepositCallback, ChooseMethod);

    private static async Task ShowWallet(BotContext ctx)
    {
        var screen = await ctx.Services.GetRequiredService<WalletScreens>().WalletAsync(ctx.User.Id, ctx.CancellationToken);
        ctx.AnswerCallback();
        if (ctx.CallbackData is not null) ctx.EditOrReply(screen.Text, screen.Keyboard);
        else ctx.Reply(screen.Text, screen.Keyboard);
    }

    private static async Task ShowBalance(BotContext ctx) =>
        ctx.Reply(await ctx.Services.GetRequiredService<WalletScreens>().BalanceTextAsync(ctx.User.Id, ctx.CancellationToken));

    private static Task ChooseMethod(BotContext ctx)
    {
        var screen = ctx.Services.GetRequiredService<WalletScreens>().DepositMethods(ctx.Language, ctx.Channel);
        ctx.AnswerCallback();
        ctx.EditOrReply(screen.Text, screen.Keyboard);
        return Task.CompletedTask;
    }
}
