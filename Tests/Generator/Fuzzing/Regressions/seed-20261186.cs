// Fuzz seed 20261186: clean, sealed partial class
// Found: generated code does not compile: CS0103 The name 'row' does not exist in the current context at NetGen.Generator/NetGen.Generator.NetworkGenerator/Fuzz.AlexNet.BackwardKernels.g.cs: (29,31)-(29,34); CS0103 The name 'row' does not exist in the current context at NetGen.Generator/NetGen.Generator.NetworkGenerator/Fuzz.AlexNet.BackwardKernels.g.cs: (31,29)-(31,32); CS0103 The name 'row' does not exist in the current context at NetGen.Generator/NetGen.Generator.NetworkGenerator/Fuzz.AlexNet.BackwardKernels.g.cs: (31,53)-(31,56)
// ==== file: Net.cs
using NetGen;
namespace Fuzz;
[Network(Channels = 2, Height = 18, Width = 18, Columns = 1)]
public sealed partial class AlexNet
{
    [Dense(1)] public partial Layer Fc1 { get; }
}
