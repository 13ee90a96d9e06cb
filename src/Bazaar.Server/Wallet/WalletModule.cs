using System.Security.Claims;
using Bazaar.Server.Admin;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Wallet;

public static class WalletModule
{
    public static IServiceCollection AddWallet(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<ShopCurrencyOptions>(config.GetSection("Shop"));
        services.AddScoped<Ledger>();
        services.AddScoped<WalletScreens>();
        services.AddBotRoutes(WalletBot.Register);
        return services;
    }

    public static IEndpointRouteBuilder MapWalletApi(this IEndpointRouteBuilder app)
    {
        var ledger = app.MapAdminGroup("/ledger", "Wallet");
        ledger.MapGet("/verify", Verify).WithName("VerifyLedger")
            .WithSummary("Checks every cached balance against the sum of its entries and that every transaction balances");

        var wallets = app.MapAdminGroup("/wallets", "Wallet");
        wallets.MapGet("/{userId:long}", GetWallet).WithName("GetWallet").WithSummary("A user's balances and recent movements; the id is Bazaar's, or the channel's with ?channel=telegram (whatsapp, sandbox)");
        wallets.MapPost("/{userId:long}/adjust", Adjust).WithName("AdjustWallet")
            .WithSummary("Credit (positive) or debit (negative) a wallet with a reason, attributed to the caller; ?channel= as for GetWallet");
        return app;
    }

    public sealed record BalanceView(string Currency, decimal Amount, long AmountMinor);
    public sealed record MovementView(long TransactionId, string Kind, string Currency, decimal Amount, long AmountMinor,
        string? Description, string? Reason, string? CreatedBy, DateTime At);
    public sealed record WalletView(long UserId, IReadOnlyList<BalanceView> Balances, IReadOnlyList<MovementView> Movements);
    public sealed record AdjustRequest(decimal Amount, string? Currency, string? Reason);
    public sealed record AdjustResult(long TransactionId, string Currency, decimal Balance, long BalanceMinor);

    internal static async Task<Ok<Ledger.Verification>> Verify(Ledger ledger, CancellationToken ct) =>
        TypedResults.Ok(await ledger.VerifyAsync(ct));

    internal static async Task<Results<Ok<WalletView>, ProblemHttpResult>> GetWallet(long userId, BazaarDb db,
        CancellationToken ct, int limit = 20, string? channel = null)
    {
        if (ChatUserIds.BadChannel(channel) is { } bad) return bad;
        if (await ChatUserIds.ResolveAsync(db, userId, channel, ct) is not { } id) return ChatUserIds.NotFound(userId, channel);
        return TypedResults.Ok(new WalletView(id, await Balances(db, id, ct), await Movements(db, id, Math.Clamp(limit, 1, 200), ct)));
    }

    public static async Task<List<BalanceView>> Balances(BazaarDb db, long userId, CancellationToken ct)
    {
        var key = AccountRef.Wallet(userId).Key;
        var rows = await db.LedgerAccounts.AsNoTracking().Where(a => a.Key == key).OrderBy(a => a.Currency)
            .Select(a => new { a.Currency, a.Balance }).ToListAsync(ct);
        return rows.Select(r => new BalanceView(r.Currency, Currencies.ToMajor(r.Balance, r.Currency), r.Balance)).ToList();
    }

    public static async Task<List<MovementView>> Movements(BazaarDb db, long userId, int limit, CancellationToken ct)
    {
        var key = AccountRef.Wallet(userId).Key;
        var rows = await (from e in db.LedgerEntries
                          join a in db.LedgerAccounts on e.AccountId equals a.Id
                          join t in db.LedgerTransactions on e.TransactionId equals t.Id
                          where a.Key == key
                          orderby e.Id descending
                          select new { t.Id, t.Kind, e.Currency, e.Amount, t.Description, t.Reason, t.CreatedBy, t.CreatedAt })
            .Take(limit).ToListAsync(ct);
        return rows.Select(r => new MovementView(r.Id, r.Kind, r.Currency, Currencies.ToMajor(r.Amount, r.Currency), r.Amount,
            r.Description, r.Reason, r.CreatedBy, r.CreatedAt)).ToList();
    }

    internal static async Task<Results<Ok<AdjustResult>, ProblemHttpResult>> Adjust(long userId, AdjustRequest request,
        BazaarDb db, Ledger ledger, Microsoft.Extensions.Options.IOptions<ShopCurrencyOptions> shop, ClaimsPrincipal user, CancellationToken ct,
        string? channel = null)
    {
        if (ChatUserIds.BadChannel(channel) is { } bad) return bad;
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 500)
            return Problems.BadRequest("reason_required", "An adjustment needs a reason of 1 to 500 characters.");
        var currency = Currencies.Normalize(request.Currency ?? shop.Value.Currency);
        if (!Currencies.TryToMinor(request.Amount, currency, out var minor) || minor == 0)
            return Problems.BadRequest("invalid_amount", $"The amount must be non-zero, in a known currency, with at most its number of decimals.");
        if (await ChatUserIds.ResolveAsync(db, userId, channel, ct) is not { } walletOf) return ChatUserIds.NotFound(userId, channel);
        userId = walletOf;

        var by = $"{user.Identity?.Name ?? "unknown"} (key {user.FindFirstValue("api_key_id") ?? "?"})";
        var result = await ledger.PostAsync(new Posting("adjustment", currency,
            [new Leg(AccountRef.OperatorAdjustments, -minor), new Leg(AccountRef.Wallet(userId), minor)])
        {
            Reason = request.Reason.Trim(), CreatedBy = by, Description = "Operator adjustment",
        }, ct);
        if (result.Error == PostError.InsufficientFunds)
            return Problems.Conflict("insufficient_funds", "The wallet does not hold enough for this debit.");
        var balance = await ledger.BalanceAsync(userId, currency, ct);
        return TypedResults.Ok(new AdjustResult(result.TransactionId!.Value, currency, Currencies.ToMajor(balance, currency), balance));
    }
}
