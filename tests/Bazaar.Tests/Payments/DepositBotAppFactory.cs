using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Payments;
using Bazaar.Server.Wallet;
using Bazaar.Tests.Fakes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Payments;

/// <summary>
/// The bot (webhook, fake Bot API, processor stepped by the tests) with payments configured against fakes:
/// manual bank (BLIK deliberately not configured), BTC and LTC, Stars, Stripe and Robokassa.
/// </summary>
public sealed class DepositBotAppFactory : BotAppFactory
{
    public FakeStripeApi Stripe { get; private set; } = null!;
    public FakeChainApis Chain { get; private set; } = null!;
    public FakeCredits Credits { get; } = new();

    public override async Task InitializeAsync()
    {
        Stripe = await FakeStripeApi.StartAsync();
        Chain = await FakeChainApis.StartAsync();
        Chain.SetPrice("bitcoin", "usd", 50_000m);
        Chain.SetPrice("litecoin", "usd", 100m);
        With("Sandbox:Enabled", "true");
        With("Shop:Currency", "USD");
        With("Payments:PublicUrl", "https://shop.example");
        With("Payments:Manual:Instructions:Bank", "Transfer {amount} to IBAN PL61 1090 1014 0000 0712 1981 2874, title {reference}.");
        With("Payments:Stripe:SecretKey", "sk_test_fake_123");
        With("Payments:Stripe:WebhookSecret", PaymentsAppFactory.StripeWebhookSecret);
        With("Payments:Stripe:ApiBase", Stripe.BaseUrl);
        With("Payments:Robokassa:MerchantLogin", PaymentsAppFactory.RobokassaLogin);
        With("Payments:Robokassa:Password1", PaymentsAppFactory.RobokassaPassword1);
        With("Payments:Robokassa:Password2", PaymentsAppFactory.RobokassaPassword2);
        With("Payments:Robokassa:IsTest", "true");
        With("Payments:Crypto:Btc:Xpub", PaymentsAppFactory.BtcZpub);
        With("Payments:Crypto:Btc:ExplorerUrl", Chain.EsploraUrl("btc"));
        With("Payments:Crypto:Ltc:Xpub", PaymentsAppFactory.LtcZpub);
        With("Payments:Crypto:Ltc:ExplorerUrl", Chain.EsploraUrl("ltc"));
        With("Payments:Crypto:QuoteMinutes", "30");
        With("Payments:Crypto:PollSeconds", "0");
        With("Payments:Rates:Url", Chain.RatesUrl);
        With("Payments:Stars:StarsPerUnit", "50");
        // The tests step the job workers themselves (RunJobs).
        With("Jobs:Enabled", "false");
        await base.InitializeAsync();
    }

    protected override void ConfigureTestServices(IServiceCollection services)
    {
        base.ConfigureTestServices(services);
        services.AddSingleton<IBalanceLines>(Credits);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        Stripe?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Chain?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    public JobRunner JobRunner => Services.GetRequiredService<JobRunner>();

    /// <summary>Runs jobs until none is due (payment preparation, say), as a worker would.</summary>
    public async Task<List<JobRun>> RunJobs()
    {
        var runs = new List<JobRun>();
        while (await JobRunner.RunOnceAsync("test-worker", CancellationToken.None) is { } run) runs.Add(run);
        return runs;
    }

    public Task<Job?> PreparationJobOf(long paymentId) =>
        WithDb(db => db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.IdempotencyKey == PaymentPreparation.KeyFor(paymentId)));

    public Task<ChatUser> UserOf(long telegramId) =>
        WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Channel == ChatChannel.Telegram && u.ExternalId == telegramId.ToString()));

    public async Task<JsonObject> LastPayload(long chatId, string method) =>
        JsonNode.Parse((await OutboxFor(chatId)).Last(m => m.Method == method).Payload)!.AsObject();

    /// <summary>callback_data of every inline button of a message payload.</summary>
    public static List<string> Buttons(JsonObject payload, string field = "callback_data") =>
        payload["reply_markup"]?["inline_keyboard"]?.AsArray().SelectMany(r => r!.AsArray())
            .Select(b => b![field]?.GetValue<string>()).OfType<string>().ToList() ?? [];
}

/// <summary>Stands in for the checks feature's credits on /balance.</summary>
public sealed class FakeCredits : IBalanceLines
{
    public ConcurrentDictionary<long, int> ByUser { get; } = new();

    public Task<IReadOnlyList<string>> LinesAsync(long userId, string language, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<string>>(ByUser.TryGetValue(userId, out var n)
            ? [language == "ru" ? $"Кредиты: {n}" : $"Credits: {n}"] : []);
}
