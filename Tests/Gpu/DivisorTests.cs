using System;
using NetGen.Gpu;
using Xunit;

namespace NetGen.Tests.Gpu;

/// <summary>The multiply-and-shift division of the implicit operands against C#'s integer division.</summary>
public sealed class DivisorTests
{
    [Fact]
    public void EqualsIntegerDivisionOverTheWholeNonNegativeRange()
    {
        var random = new Random(31);
        int[] divisors = [1, 2, 3, 5, 7, 9, 11, 13, 25, 49, 121, 169, 196, 729, 3025, 50625, 65535, 65536, 65537, 1 << 30, int.MaxValue];
        foreach (int d in divisors)
        {
            var divisor = new Divisor(d);
            foreach (int n in new[] { 0, 1, d - 1, d, d + 1, int.MaxValue, int.MaxValue - 1, int.MaxValue - d })
                if (n >= 0)
                    Assert.Equal(n / d, divisor.Divide(n));
            for (int i = 0; i < 20000; i++)
            {
                int n = random.Next(int.MaxValue);
                Assert.True(n / d == divisor.Divide(n), $"{n} / {d}: {divisor.Divide(n)}, not {n / d}");
            }
        }
        for (int d = 1; d < 3000; d++)
        {
            var divisor = new Divisor(d);
            for (int n = 0; n < 3 * d + 50; n++)
                Assert.Equal(n / d, divisor.Divide(n));
        }
    }
}
