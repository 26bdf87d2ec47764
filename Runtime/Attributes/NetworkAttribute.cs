using System;

namespace NetGen;

/// <summary>
/// Declares a network: the class becomes a generated network whose layers are its
/// <see cref="Layer"/> properties, in declaration order. The class must be <c>partial</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>Input channels (3 for RGB, 1 for grayscale).</summary>
    public int Channels { get; set; }

    /// <summary>Input height in pixels.</summary>
    public int Height { get; set; }

    /// <summary>Input width in pixels.</summary>
    public int Width { get; set; }

    /// <summary>
    /// Number of columns the network is split into, as AlexNet was split over two GPUs. Every
    /// layer's filters or units must divide evenly between the columns.
    /// </summary>
    public int Columns { get; set; } = 1;
}
