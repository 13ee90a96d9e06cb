using Bazaar.Server.Shop;

namespace Bazaar.Tests.Shop;

public sealed class PricingTests
{
    [Theory]
    [InlineData(19_99, 0, "USD", 19_99)]
    [InlineData(19_99, 15, "USD", 16_99)]     // 16.9915 -> 16.99
    [InlineData(10_00, 33, "USD", 6_70)]
    [InlineData(25, 50, "USD", 13)]          // 12.5 cents -> 13, half away from zero
    [InlineData(1, 90, "USD", 0)]            // 0.1 cent -> 0
    [InlineData(999, 15, "XTR", 849)]         // 849.15 stars -> 849
    [InlineData(5, 50, "XTR", 3)]            // 2.5 stars -> 3
    [InlineData(7, 90, "XTR", 1)]            // 0.7 stars -> 1
    public void Final_price_is_rounded_to_the_currency_scale_in_one_place(long baseMinor, int percent, string currency, long final)
    {
        var p = Pricing.Of(baseMinor, percent, currency);
        Assert.Equal(final, p.Final);
        Assert.Equal(baseMinor - final, p.Discount);
        Assert.Equal(percent, p.DiscountPercent);
    }

    [Fact]
    public void A_discount_counts_only_inside_its_window_and_never_above_90()
    {
        var now = new DateTime(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);
        var p = new Product { Name = "x", Kind = ProductKind.Digital, BasePrice = 100_00, DiscountPercent = 20, DiscountStartsAt = now.AddHours(1), DiscountEndsAt = now.AddHours(2) };
        Assert.Equal(100_00, Pricing.For(p, "USD", now).Final);
        Assert.Equal(80_00, Pricing.For(p, "USD", now.AddHours(1)).Final);
        Assert.Equal(100_00, Pricing.For(p, "USD", now.AddHours(2)).Final);
        Assert.Throws<ArgumentOutOfRangeException>(() => Pricing.Of(100, 91, "USD"));
        Assert.Throws<ArgumentException>(() => Pricing.Of(100, 10, "ZZZ"));
    }
}
