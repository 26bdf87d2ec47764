// Every netgen verb for the networks declared in this project:
//   dotnet run -- train fashionnet --epochs 1      (Debian's Fashion-MNIST when installed, else the sample shipped in the package)
//   dotnet run -- shapes fashionnet
// and `dotnet run -- loop [DATA]` runs HandWrittenLoop, the same training written out with the library.
if (args is ["loop", .. var rest])
    return FashionSample.HandWrittenLoop.Run(rest.FirstOrDefault());
return NetGen.Cli.Run(args);
