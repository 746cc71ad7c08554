# knotebook: function
def handler(event):
    event.get_data()["Vm"]["Name"]  # the bench function without its log line
