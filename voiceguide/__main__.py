from voiceguide.entry import main

main()
