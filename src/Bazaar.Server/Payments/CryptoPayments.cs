using Bazaar.Server.Data;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QRCoder;

namespace Bazaar.Server.Payments;

/// <summary>Fresh receiving addresses, quotes, and the amounts credited for what arrives.</summary>
public sealed class CryptoPayments(BazaarDb db, IOptions<PaymentsOptions> options, TimeProvider clock)
{
    private PaymentsOptions.CryptoOptions O => options.Value.Crypto;

    public PaymentsOptions.CoinOptions CoinOptions(PaymentMethod coin) => coin == PaymentMethod.Ltc ? O.Ltc : O.Btc;

    /// <summary>
    /// Takes the next derivation index under a row lock (conditional UPDATE of the counter), so two deposits
    /// never share an address even when created at the same moment. Runs inside the caller's transaction.
    /// </summary>
    public async Task<CryptoDeposit> OpenDepositAsync(Payment payment, decimal rate, DateTime quoteUntil, CancellationToken ct)
    {
        var coin = payment.Method.WireName();
        var xpub = CoinOptions(payment.Method).Xpub!;
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO crypto_address_counters ("Coin", "NextIndex") VALUES ({coin}, {0L}) ON CONFLICT ("Coin") DO NOTHING
            """, ct);
        await db.CryptoAddressCounters.Where(c => c.Coin == coin)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.NextIndex, c => c.NextIndex + 1), ct);
        var index = await db.CryptoAddressCounters.Where(c => c.Coin == coin).Select(c => c.NextIndex).SingleAsync(ct) - 1;
        var now = clock.GetUtcNow().UtcDateTime;
        var deposit = new CryptoDeposit
        {
            PaymentId = payment.Id, Coin = coin, DerivationIndex = index,
            Address = CoinAddresses.Derive(CoinParams.For(payment.Method), xpub, index),
            QuotedRate = rate, QuoteExpiresAt = quoteUntil, WatchUntil = now.AddHours(O.WatchHours),
        };
        db.CryptoDeposits.Add(deposit);
        return deposit;
    }

    /// <summary>Satoshis (litoshis) to ask for: the fiat amount at the rate, rounded up.</summary>
    public static long QuoteSats(long amountMinor, string currency, decimal rate) =>
        (long)decimal.Ceiling(Currencies.ToMajor(amountMinor, currency) / rate * 100_000_000m);

    /// <summary>The shop-currency value of an amount of coin at a rate, rounded down to minor units.</summary>
    public static long ValueMinor(long sats, decimal rate, string currency) =>
        (long)decimal.Floor(sats / 100_000_000m * rate * Currencies.Pow10(Currencies.Scale(currency)));

    public static string Bip21(PaymentMethod coin, string address, long sats) =>
        $"{(coin == PaymentMethod.Ltc ? "litecoin" : "bitcoin")}:{address}?amount={Currencies.ToMajor(sats, "BTC").ToString("0.########", System.Globalization.CultureInfo.InvariantCulture)}";

    public static byte[] QrPng(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        return new PngByteQRCode(data).GetGraphic(8);
    }
}
