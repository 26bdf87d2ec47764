namespace NetGen.Cpu;

/// <summary>A convolution's sizes, as literals in the generated CPU code.</summary>
/// <param name="Channels">Input channels.</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="Filters">Output channels.</param>
/// <param name="Kernel">Square kernel size.</param>
/// <param name="Stride">Stride in both directions.</param>
/// <param name="Pad">Zero padding on every side.</param>
/// <param name="Groups">Groups: each sees Channels / Groups inputs and makes Filters / Groups outputs.</param>
/// <param name="OutHeight">Output height.</param>
/// <param name="OutWidth">Output width.</param>
public readonly record struct ConvGeometry(
    int Channels, int Height, int Width, int Filters, int Kernel, int Stride, int Pad, int Groups, int OutHeight, int OutWidth)
{
    /// <summary>Input channels per group.</summary>
    public int GroupChannels => Channels / Groups;

    /// <summary>Filters per group.</summary>
    public int GroupFilters => Filters / Groups;

    /// <summary>The length of one filter: the inner dimension of the matrix product.</summary>
    public int Taps => GroupChannels * Kernel * Kernel;

    /// <summary>Output pixels per channel.</summary>
    public int OutPixels => OutHeight * OutWidth;

    /// <summary>Input pixels per channel.</summary>
    public int Pixels => Height * Width;
}

/// <summary>A pooling's sizes, as literals in the generated CPU code.</summary>
/// <param name="IsMax">Max pooling, or average.</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="Window">Square window size.</param>
/// <param name="Stride">Stride in both directions.</param>
/// <param name="Pad">Padding on every side (never wins a max, counts as zero in an average).</param>
/// <param name="OutHeight">Output height.</param>
/// <param name="OutWidth">Output width.</param>
public readonly record struct PoolGeometry(bool IsMax, int Height, int Width, int Window, int Stride, int Pad, int OutHeight, int OutWidth);

/// <summary>A local response normalisation's constants, as literals in the generated CPU code.</summary>
/// <param name="Channels">Channels of the activation.</param>
/// <param name="Pixels">Height times width.</param>
/// <param name="Size">Channels in the window.</param>
/// <param name="Alpha">The alpha that multiplies the sum of squares (already divided by the size under that convention).</param>
/// <param name="Beta">The exponent.</param>
/// <param name="K">The additive constant.</param>
/// <param name="ColumnChannels">Channels per column: the window never leaves its column.</param>
public readonly record struct LrnGeometry(int Channels, int Pixels, int Size, float Alpha, float Beta, float K, int ColumnChannels);
