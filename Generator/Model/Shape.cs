namespace NetGen.Generator.Model;

/// <summary>One image's activation: channels x height x width. A dense output is units x 1 x 1.</summary>
internal readonly record struct Shape(int Channels, int Height, int Width)
{
    /// <summary>Values per image; <see cref="long.MaxValue"/> where three ints' product overflows a long (NG0017 refuses far less).</summary>
    public long Size => Channels > 0 && (long)Height * Width > long.MaxValue / Channels ? long.MaxValue : (long)Channels * Height * Width;

    /// <summary>Values per image, exactly, as messages write it: three ints' product fits a decimal.</summary>
    public string ExactSize => ((decimal)Channels * Height * Width).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public bool IsVector => Height == 1 && Width == 1;

    public override string ToString() => IsVector ? $"{Channels}" : $"{Channels} x {Height} x {Width}";
}
