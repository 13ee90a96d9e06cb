using Bazaar.Tests.Fakes;
using Bazaar.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Payments;

/// <summary>The server with every payment method configured against in-process fakes.</summary>
public class PaymentsAppFactory : AppFactory
{
    public const string StripeWebhookSecret = "whsec_test_0123456789abcdef";
    public const string RobokassaLogin = "bazaar-shop";
    public const string RobokassaPassword1 = "pass-one-Ab1";
    public const string RobokassaPassword2 = "pass-two-Cd2";
    // BIP84's test vector account key (mnemonic "abandon ... about", m/84'/0'/0').
    public const string BtcZpub = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs";
    // The same account key with Litecoin's zpub-style native segwit serialization (same version bytes).
    public const string LtcZpub = BtcZpub;

    public FakeBotApi Bot { get; private set; } = null!;
    public FakeStripeApi Stripe { get; private set; } = null!;
    public FakeChainApis Chain { get; private set; } = null!;

    protected virtual string RobokassaAlgorithm => "MD5";
    /// <summary>0 leaves the recurring crypto-watch job unregistered, so tests drive RunOnceAsync themselves.</summary>
    protected virtual string PollSeconds => "0";
    protected virtual string Confirmations => "2";

    public override async Task InitializeAsync()
    {
        Bot = await FakeBotApi.StartAsync();
        Stripe = await FakeStripeApi.StartAsync();
        Chain = await FakeChainApis.StartAsync();
        Chain.SetPrice("bitcoin", "usd", 50_000m);
        Chain.SetPrice("litecoin", "usd", 100m);
        With("Telegram:BotToken", "123456:TEST-token");
        With("Telegram:ApiBaseUrl", Bot.BaseUrl);
        With("Telegram:Mode", "Off");
        With("Shop:Currency", "USD");
        With("Payments:PublicUrl", "https://shop.example");
        With("Payments:Manual:Instructions:Bank", "Transfer {amount} to IBAN PL61 1090 1014 0000 0712 1981 2874, title {reference}.");
        With("Payments:Manual:Instructions:Blik", "Send {amount} by BLIK to +48 600 000 000 with the title {reference}.");
        With("Payments:Stripe:SecretKey", "sk_test_fake_123");
        With("Payments:Stripe:WebhookSecret", StripeWebhookSecret);
        With("Payments:Stripe:ApiBase", Stripe.BaseUrl);
        With("Payments:Robokassa:MerchantLogin", RobokassaLogin);
        With("Payments:Robokassa:Password1", RobokassaPassword1);
        With("Payments:Robokassa:Password2", RobokassaPassword2);
        With("Payments:Robokassa:HashAlgorithm", RobokassaAlgorithm);
        With("Payments:Robokassa:IsTest", "true");
        With("Payments:Crypto:Btc:Xpub", BtcZpub);
        With("Payments:Crypto:Btc:ExplorerUrl", Chain.EsploraUrl("btc"));
        With("Payments:Crypto:Ltc:Xpub", LtcZpub);
        With("Payments:Crypto:Ltc:ExplorerUrl", Chain.EsploraUrl("ltc"));
        With("Payments:Crypto:QuoteMinutes", "30");
        With("Payments:Crypto:Confirmations", Confirmations);
        With("Payments:Crypto:PollSeconds", PollSeconds);
        With("Payments:Rates:Url", Chain.RatesUrl);
        With("Payments:Rates:RefreshMinutes", "10");
        With("Payments:Stars:StarsPerUnit", "50");
        await base.InitializeAsync();
        _ = Services.GetRequiredService<FakesOwner>();
    }

    protected override void ConfigureTestServices(IServiceCollection services) =>
        services.AddSingleton(_ => new FakesOwner(Bot, Stripe, Chain));

    /// <summary>Stops the fakes when the host's container is disposed with the factory.</summary>
    private sealed class FakesOwner(params IAsyncDisposable[] fakes) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var f in fakes) await f.DisposeAsync();
        }
    }
}
