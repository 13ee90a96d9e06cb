using Bazaar.Server.Wallet;

namespace Bazaar.Server.Shop;

/// <summary>A price: base, the discount applied (percent and amount) and the final price, in minor units.</summary>
public sealed record Price(long Base, int DiscountPercent, long Discount, long Final, string Currency)
{
    public bool Discounted => Discount > 0;
}

/// <summary>
/// The one place prices are computed: the chat, the REST API, payments and a later Mini App all call this.
/// The discount is taken in the currency's minor units and rounded half away from zero to the currency's scale
/// (a whole star in XTR, a cent in USD), so the final price is always a payable amount.
/// </summary>
public static class Pricing
{
    public const int MaxDiscountPercent = 90;

    /// <summary>The product's discount at <paramref name="now"/>: its percent inside [start, end), else 0.</summary>
    public static int ActiveDiscount(Product p, DateTime now) =>
        p.DiscountPercent > 0 && (p.DiscountStartsAt is null || p.DiscountStartsAt <= now) && (p.DiscountEndsAt is null || now < p.DiscountEndsAt)
            ? Math.Clamp(p.DiscountPercent, 0, MaxDiscountPercent) : 0;

    public static Price For(Product p, string currency, DateTime now) => Of(p.BasePrice, ActiveDiscount(p, now), currency);

    public static Price Of(long baseMinor, int discountPercent, string currency)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(baseMinor);
        if (discountPercent is < 0 or > MaxDiscountPercent)
            throw new ArgumentOutOfRangeException(nameof(discountPercent), $"A discount is 0 to {MaxDiscountPercent} percent.");
        currency = Currencies.Normalize(currency);
        _ = Currencies.Scale(currency); // unknown currencies fail here, not at payment time
        var final = (long)decimal.Round(baseMinor * (100m - discountPercent) / 100m, 0, MidpointRounding.AwayFromZero);
        return new Price(baseMinor, discountPercent, baseMinor - final, final, currency);
    }

    /// <summary>A price in another currency at <paramref name="ratePerUnit"/> units of it per major unit of the price's currency, rounded up to its scale.</summary>
    public static long Convert(long minor, string currency, decimal ratePerUnit, string toCurrency)
    {
        var major = Currencies.ToMajor(minor, currency) * ratePerUnit;
        return (long)decimal.Ceiling(major * Currencies.Pow10(Currencies.Scale(Currencies.Normalize(toCurrency))));
    }

    public static string Format(long minor, string currency) => Currencies.Format(minor, currency);
}
