// Fuzz seed 20261359: sound shapes, abstract partial class
// Found: generated code does not compile: CS0144 Cannot create an instance of the abstract type or interface 'N' at NetGen.Generator/NetGen.Generator.NetworkGenerator/N.g.cs: (80,49)-(80,68)
// ==== file: Net.cs
using NetGen;
[Network(Channels = 2, Height = 20, Width = 12)]
public abstract partial class N
{
    [Conv(1, Kernel = 3)][Relu][MaxPool(2, Stride = 2, Round = Rounding.Floor)] public partial Layer Conv1 { get; }
    [Conv(2, Kernel = 3, Stride = 2)] public partial Layer Conv2 { get; }
}
